using S3Router.Core.Analysis;

namespace S3Router.Core.Tests.Analysis;

public sealed class IpaSegmenterTests
{
    [Theory]
    [InlineData("t͡ʃˈɜːt͡ʃ", new[] { "t͡ʃ", "ɜː", "t͡ʃ" })]
    [InlineData("d͡ʒˈʌd͡ʒ", new[] { "d͡ʒ", "ʌ", "d͡ʒ" })]
    [InlineData("hˈa͡ɪsə", new[] { "h", "a͡ɪ", "s", "ə" })]
    [InlineData("tsˈuːk", new[] { "t", "s", "uː", "k" })]
    [InlineData("prʲivʲˈet", new[] { "p", "rʲ", "i", "vʲ", "e", "t" })]
    [InlineData("pʰˌa", new[] { "pʰ", "a" })]
    [InlineData("ɲ̟ɔ̃", new[] { "ɲ̟", "ɔ̃" })]
    [InlineData("aˑb", new[] { "aˑ", "b" })]
    public void Split_KnownIpa_GivesSegments(string ipa, string[] expected)
    {
        Assert.Equal(expected, IpaSegmenter.Split(ipa));
    }

    [Fact]
    public void Split_EspeakSentence_DropsStressPunctuationAndSpaces()
    {
        var segments = IpaSegmenter.Split("ðə t͡ʃˈɜːt͡ʃ, d͡ʒˈʌd͡ʒ.\na͡ɪ ˈə͡ʊ juː");

        Assert.Equal(["ð", "ə", "t͡ʃ", "ɜː", "t͡ʃ", "d͡ʒ", "ʌ", "d͡ʒ", "a͡ɪ", "ə͡ʊ", "j", "uː"], segments);
    }

    [Fact]
    public void Split_LanguageSwitchAndToneNumbers_AreDropped()
    {
        var segments = IpaSegmenter.Split("(͡e͡n)nɪ5θɹˈiː5(͡c͡m͡n) s.ˈi.5");

        Assert.Equal(["n", "ɪ", "θ", "ɹ", "iː", "s", "i"], segments);
    }

    [Fact]
    public void Split_ZeroWidthJoinerOrTieBelow_JoinsAsTieBar()
    {
        Assert.Equal(["t͡ʃ", "iː"], IpaSegmenter.Split("t\u200Dʃˈiː"));
        Assert.Equal(["t͡ʃ"], IpaSegmenter.Split("t\u035Cʃ"));
    }

    [Fact]
    public void Split_LeadingDiacriticOrTie_IsIgnored()
    {
        Assert.Equal(["a"], IpaSegmenter.Split("ː͡a"));
    }

    [Fact]
    public void Split_ChaoToneLetters_AreDropped()
    {
        Assert.Equal(["m", "a"], IpaSegmenter.Split("ma˥˩"));
    }

    [Fact]
    public void Inventory_RepeatedSegments_CountOnce()
    {
        var inventory = IpaSegmenter.Inventory("t͡ʃˈɜːt͡ʃ t͡ʃˈiːz");

        Assert.Equal(new HashSet<string> { "t͡ʃ", "ɜː", "iː", "z" }, inventory.ToHashSet());
    }
}
