using S3Router.Core.Audio;
using Wire = S3Router.Api.V1.AudioEncoding;

namespace S3Router.Core.Tests.Audio;

public sealed class AudioEncodingContractTests
{
    [Fact]
    public void ProtoAudioEncoding_EveryValue_CastsToTheCoreEncodingOfTheSameName()
    {
        foreach (var wire in Enum.GetValues<Wire>())
        {
            var core = (AudioEncoding)(int)wire;

            Assert.True(Enum.IsDefined(core), $"{wire} = {(int)wire} has no Core value");
            var coreName = core == AudioEncoding.EncodingUnspecified ? "Unspecified" : core.ToString();
            Assert.Equal(wire.ToString(), coreName);
        }
    }
}
