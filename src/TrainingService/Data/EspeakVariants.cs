namespace S3Router.TrainingService.Data;

/// <summary>
/// espeak-ng 1.51's voice variants (<c>espeak-ng --voices=variant</c>), without whisper, whisperf and Demonic,
/// which carry no usable voicing. Listed here rather than queried so a plan does not depend on the machine.
/// </summary>
internal static class EspeakVariants
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Denis", "Diogo", "Gene", "Gene2", "Henrique",
        "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Mr", "Nguyen", "RicishayMax", "RicishayMax2",
        "RicishayMax3", "Storm", "Tweaky", "UniRobot", "adam", "anika", "anikaRobot", "announcer", "antonio", "aunty",
        "belinda", "benjamin", "boris", "caleb", "croak", "david", "ed", "edward", "edward2", "f1", "f2", "f3", "f4",
        "f5", "fast", "grandma", "grandpa", "gustave", "iven", "iven2", "iven3", "iven4", "john", "kaukovalta",
        "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "linda", "m1", "m2", "m3", "m4", "m5", "m6", "m7",
        "m8", "marcelo", "max", "michel", "miguel", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert",
        "robosoft", "robosoft2", "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8",
        "sandro", "shelby", "steph", "steph2", "steph3", "travis", "victor", "zac",
    ];

    public static IEnumerable<SynthVoice> Voices => Names.Select(n => new SynthVoice(SynthEngine.Espeak, n, "espeak-" + n));
}
