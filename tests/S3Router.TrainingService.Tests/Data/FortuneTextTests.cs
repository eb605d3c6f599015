using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class FortuneTextTests
{
    [Fact]
    public void Sentences_FortuneFile_SplitsEntriesAndSentencesDroppingAttributions()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "First line of one\nsentence. Second one!\n\t\t-- Somebody Famous\n%\nThird? Yes.\n%\n");

            var sentences = FortuneText.Sentences(file).ToList();

            Assert.Equal(["First line of one sentence.", "Second one!", "Third?", "Yes."], sentences);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Files_Folder_SkipsIndexFilesAndUtf8Twins()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "de"));
            File.WriteAllText(Path.Combine(root, "de", "zitate"), "Hallo Welt.\n%\n");
            File.WriteAllText(Path.Combine(root, "de", "zitate.dat"), "x");
            File.CreateSymbolicLink(Path.Combine(root, "de", "zitate.u8"), "zitate");

            var files = FortuneText.Files(root, ["de", "missing"]);

            Assert.Equal([Path.Combine(root, "de", "zitate")], files);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
