using S3Router.Core.Backbones;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Heads;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Heads;

public sealed class ConvMaxEnsembleTests
{
    private const int Members = 3;
    private const int Classes = 4;
    private const int Frames = 6;
    private static readonly Wav2Vec2Config Config = TinyConfigs.Base;

    [Fact]
    public void Forward_ThreeMembers_LogOfTheMeanOfEachMembersProbabilities()
    {
        // Arrange
        manual_seed(11);
        using var ensemble = new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, Members);
        ensemble.eval();
        var members = Alone(ensemble);
        using var input = RandomStates(batch: 2, seed: 12);

        // Act
        using var output = ensemble.call(input, null);

        // Assert
        var expected = new double[2, Classes];
        foreach (var member in members)
        {
            using var probabilities = member.call(input, null).softmax(-1);
            var p = probabilities.data<float>().ToArray();
            for (var i = 0; i < p.Length; i++)
            {
                expected[i / Classes, i % Classes] += p[i] / (double)Members;
            }
        }

        var actual = output.exp().data<float>().ToArray();
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.Equal(expected[i / Classes, i % Classes], actual[i], 1e-5);
        }

        members.ForEach(m => m.Dispose());
    }

    [Fact]
    public void Loss_ThreeMembers_MeanOfEachMembersOwnLossNotTheLossOfTheMean()
    {
        // Arrange
        manual_seed(13);
        using var ensemble = new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, Members);
        var members = Alone(ensemble);
        using var input = RandomStates(batch: 2, seed: 14);
        using var frames = tensor(new long[] { Frames, Frames - 2 });
        long[][] targets = [[1], [3]];

        // Act
        using var loss = ensemble.Loss(input, frames, targets, isCtc: false);

        // Assert
        var own = members.Select(m => { using var l = TaskLoss.Compute(m.call(input, frames), frames, targets, isCtc: false); return l.item<float>(); }).ToList();
        using var ofTheMean = TaskLoss.Compute(ensemble.call(input, frames), frames, targets, isCtc: false);
        Assert.Equal(own.Average(), loss.item<float>(), 1e-5);
        Assert.True(ofTheMean.item<float>() < loss.item<float>() - 1e-4, "the ensemble's own loss is lower than its members' mean (Jensen)");
        members.ForEach(m => m.Dispose());
    }

    [Fact]
    public void Export_ThreeMembers_EachMemberUnderItsPrefixFromItsOwnInitialization()
    {
        // Arrange
        using var ensemble = new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, Members);

        // Act
        var tensors = ensemble.Export().ToDictionary(t => t.Name, t => t.Values.ToArray());

        // Assert
        Assert.Equal(Members * 7, tensors.Count);
        Assert.All(tensors.Keys, name => Assert.Matches(@"^head\.members\.[0-2]\.(layer_logits|norm\.(weight|bias)|conv\.(weight|bias)|proj\.(weight|bias))$", name));
        Assert.NotEqual(tensors["head.members.0.conv.weight"], tensors["head.members.1.conv.weight"]);
        Assert.NotEqual(tensors["head.members.1.proj.weight"], tensors["head.members.2.proj.weight"]);
    }

    [Fact]
    public void Constructor_NoMember_Throws()
    {
        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, size: 0));
    }

    [Fact]
    public void Import_StartBundleWithAnotherMemberCount_SaysWhichEnsembleSizeFitsIt()
    {
        // Arrange: a prune or mask job whose start bundle's head has three members, and a spec without ensemble_size.
        using var ensemble = new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, Members);
        var ensembleTensors = Host(ensemble.Export());
        using var single = new ConvMaxHead(Config, Classes, width: 5, kernel: 3);
        var singleTensors = Host(single.Export());
        using var five = new ConvMaxEnsemble(Config, Classes, width: 5, kernel: 3, size: 5);

        // Act
        var intoOne = Assert.Throws<Core.Errors.InvalidInputException>(() => single.Import(ensembleTensors));
        var intoEnsemble = Assert.Throws<Core.Errors.InvalidInputException>(() => ensemble.Import(singleTensors));
        var intoFive = Assert.Throws<Core.Errors.InvalidInputException>(() => five.Import(ensembleTensors));

        // Assert
        Assert.Contains("an ensemble of 3 members, this job's one head: set head.ensemble_size to 3", intoOne.Message, StringComparison.Ordinal);
        Assert.Contains("one head, this job's an ensemble of 3: set head.ensemble_size to 0", intoEnsemble.Message, StringComparison.Ordinal);
        Assert.Contains("an ensemble of 3 members, this job's an ensemble of 5: set head.ensemble_size to 3", intoFive.Message, StringComparison.Ordinal);
    }

    // Each member as a head of its own, from the ensemble's exported tensors.
    private static List<ConvMaxHead> Alone(ConvMaxEnsemble ensemble)
    {
        var tensors = ensemble.Export();
        return [.. Enumerable.Range(0, Members).Select(k =>
        {
            var prefix = $"head.members.{k}.";
            var head = new ConvMaxHead(Config, Classes, width: 5, kernel: 3);
            head.Import(tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(t => "head." + t.Name[prefix.Length..], t => new HostTensor(t.Values.ToArray(), [.. t.Shape]), StringComparer.Ordinal));
            head.eval();
            return head;
        })];
    }

    private static Dictionary<string, HostTensor> Host(IEnumerable<Core.Masks.HeadTensor> tensors) =>
        tensors.ToDictionary(t => t.Name, t => new HostTensor(t.Values.ToArray(), [.. t.Shape]), StringComparer.Ordinal);

    private static Tensor RandomStates(int batch, int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, batch * Frames * Config.AllStatesWidth).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        return tensor(values, [batch, Frames, Config.AllStatesWidth]);
    }
}
