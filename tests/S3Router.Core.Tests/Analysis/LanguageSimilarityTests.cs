using S3Router.Core.Analysis;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Analysis;

public sealed class LanguageSimilarityTests
{
    [Fact]
    public void Jaccard_KnownSets_IsIntersectionOverUnion()
    {
        var a = new HashSet<string> { "p", "t", "k", "a" };
        var b = new HashSet<string> { "p", "t", "i" };

        Assert.Equal(2.0 / 5, LanguageSimilarity.Jaccard(a, b), 12);
        Assert.Equal(1.0, LanguageSimilarity.Jaccard(new HashSet<string>(), new HashSet<string>()));
    }

    [Fact]
    public void FromInventories_ThreeLanguages_SymmetricWithOnesOnDiagonal()
    {
        IReadOnlySet<string>[] inventories = [new HashSet<string> { "a", "b" }, new HashSet<string> { "a", "c" }, new HashSet<string> { "d" }];

        var matrix = LanguageSimilarity.FromInventories(["x", "y", "z"], inventories);

        Assert.Equal([1, 1 / 3.0, 0, 1 / 3.0, 1, 0, 0, 0, 1], matrix.RowMajor);
    }

    [Fact]
    public async Task InventoriesAsync_EspeakOnRelatedLanguages_GermanCloserToDutchThanToFinnish()
    {
        string[] languages = ["de", "nl", "fi"];

        var inventories = await LanguageSimilarity.InventoriesAsync(languages, new EspeakPhonemizer(), TestContext.Current.CancellationToken);
        var matrix = LanguageSimilarity.FromInventories(languages, inventories);

        Assert.All(inventories, inventory => Assert.True(inventory.Count >= 20, $"only {inventory.Count} phonemes"));
        Assert.Contains("t͡s", inventories[0]);
        Assert.True(matrix[0, 1] > matrix[0, 2], $"de-nl {matrix[0, 1]} vs de-fi {matrix[0, 2]}");
    }

    [Fact]
    public async Task InventoriesAsync_EveryBuiltInSample_HasAnEspeakVoice()
    {
        var inventories = await LanguageSimilarity.InventoriesAsync(PhonemeSamples.Languages, new EspeakPhonemizer(), TestContext.Current.CancellationToken);

        Assert.All(inventories, inventory => Assert.True(inventory.Count >= 15));
    }

    [Fact]
    public async Task InventoriesAsync_NoSample_ThrowsInvalidInputListingLanguages()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() =>
            LanguageSimilarity.InventoriesAsync(["xx"], new EspeakPhonemizer(), TestContext.Current.CancellationToken));

        Assert.Contains("de", error.Message);
    }

    [Fact]
    public async Task PhonemizeAsync_UnknownVoice_ThrowsInvalidInput()
    {
        await Assert.ThrowsAsync<InvalidInputException>(() =>
            new EspeakPhonemizer().PhonemizeAsync("xx", "hello", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PhonemizeAsync_MissingProgram_ThrowsFailedPrecondition()
    {
        await Assert.ThrowsAsync<FailedPreconditionException>(() =>
            new EspeakPhonemizer("/nonexistent/espeak-ng").PhonemizeAsync("en", "hello", TestContext.Current.CancellationToken));
    }

    [Fact]
    public void PhonemeSamplesFor_RegionTag_FallsBackToPrimarySubtag()
    {
        Assert.Equal(PhonemeSamples.For("de"), PhonemeSamples.For("de-DE"));
    }
}
