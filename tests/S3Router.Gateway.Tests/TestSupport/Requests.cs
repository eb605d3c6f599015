using Google.Protobuf;
using S3Router.Api.V1;

namespace S3Router.Gateway.Tests.TestSupport;

internal static class Requests
{
    public static RecognizeRequest Recognize(string task = "asr", string language = "en") => new()
    {
        Task = task,
        LanguageCode = language,
        Config = new RecognitionConfig { MaxAlternatives = 2 },
        Audio = new RecognitionAudio { Content = ByteString.CopyFrom(new byte[64]) },
    };

    public static StreamingRecognizeRequest StreamingConfig(string task = "asr", string language = "en") => new()
    {
        StreamingConfig = new StreamingRecognitionConfig
        {
            Task = task,
            LanguageCode = language,
            Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 },
        },
    };

    public static StreamingRecognizeRequest Chunk(int bytes = 320) => new() { AudioContent = ByteString.CopyFrom(new byte[bytes]) };
}
