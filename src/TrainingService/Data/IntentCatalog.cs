namespace S3Router.TrainingService.Data;

/// <summary>
/// SLURP-style smart-home intents with three templates each in English, German and Spanish; slots are filled from
/// small per-language value lists. The last template of each intent is kept for the test split only.
/// Numbers are written as words, so every utterance fits the language's character vocabulary.
/// </summary>
internal static class IntentCatalog
{
    /// <summary>The languages with templates.</summary>
    public static IReadOnlyList<string> Languages { get; } = ["de", "en", "es"];

    /// <summary>Intent names, sorted.</summary>
    public static IReadOnlyList<string> Intents { get; } =
    [
        "call_contact", "cancel_alarm", "lights_off", "lights_on", "play_music", "set_alarm", "set_timer",
        "stop_music", "time_query", "volume_down", "volume_up", "weather_query",
    ];

    /// <summary>Templates per language and intent; <c>{slot}</c> marks a slot.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string[]>> Templates { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string[]>>(StringComparer.Ordinal)
        {
            ["en"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["call_contact"] = ["call {contact}", "please phone {contact} for me", "i want to talk to {contact} now"],
                ["cancel_alarm"] = ["cancel my alarm for {time}", "turn off the alarm for {time}", "i don't need the {time} alarm anymore"],
                ["lights_off"] = ["turn off the lights in the {room}", "switch the {room} lights off", "make it dark in the {room}"],
                ["lights_on"] = ["turn on the lights in the {room}", "switch the {room} lights on", "i need some light in the {room}"],
                ["play_music"] = ["play some {genre}", "put on {genre} music", "i feel like listening to {genre}"],
                ["set_alarm"] = ["wake me up at {time}", "set an alarm for {time}", "i have to get up at {time}"],
                ["set_timer"] = ["set a timer for {minutes}", "start a {minutes} timer", "remind me in {minutes}"],
                ["stop_music"] = ["stop the music", "pause the song please", "enough music for {day}"],
                ["time_query"] = ["what time is it", "tell me the time please", "how late is it in {city}"],
                ["volume_down"] = ["turn the volume down", "make it quieter please", "that is too loud for the {room}"],
                ["volume_up"] = ["turn the volume up", "make it louder please", "i can't hear it in the {room}"],
                ["weather_query"] = ["what is the weather in {city} {day}", "will it rain in {city} {day}", "do i need an umbrella {day}"],
            },
            ["de"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["call_contact"] = ["ruf {contact} an", "bitte telefoniere mit {contact}", "ich möchte jetzt mit {contact} sprechen"],
                ["cancel_alarm"] = ["lösche meinen wecker für {time}", "schalte den wecker für {time} aus", "ich brauche den wecker um {time} nicht mehr"],
                ["lights_off"] = ["mach das licht in der {room} aus", "schalte das licht in der {room} aus", "in der {room} soll es dunkel sein"],
                ["lights_on"] = ["mach das licht in der {room} an", "schalte das licht in der {room} ein", "ich brauche licht in der {room}"],
                ["play_music"] = ["spiel etwas {genre}", "leg {genre} auf", "ich habe lust auf {genre}"],
                ["set_alarm"] = ["weck mich um {time}", "stell einen wecker für {time}", "ich muss um {time} aufstehen"],
                ["set_timer"] = ["stell einen timer auf {minutes}", "starte einen timer mit {minutes}", "erinnere mich in {minutes}"],
                ["stop_music"] = ["stopp die musik", "halte das lied bitte an", "genug musik für {day}"],
                ["time_query"] = ["wie spät ist es", "sag mir bitte die uhrzeit", "wie spät ist es in {city}"],
                ["volume_down"] = ["mach leiser", "bitte etwas leiser", "das ist zu laut für die {room}"],
                ["volume_up"] = ["mach lauter", "bitte etwas lauter", "ich höre es in der {room} nicht"],
                ["weather_query"] = ["wie ist das wetter in {city} {day}", "regnet es {day} in {city}", "brauche ich {day} einen schirm"],
            },
            ["es"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["call_contact"] = ["llama a {contact}", "por favor telefonea a {contact}", "quiero hablar con {contact} ahora"],
                ["cancel_alarm"] = ["cancela mi alarma de {time}", "quita la alarma de {time}", "ya no necesito la alarma de {time}"],
                ["lights_off"] = ["apaga las luces de la {room}", "apaga la luz en la {room}", "deja la {room} a oscuras"],
                ["lights_on"] = ["enciende las luces de la {room}", "prende la luz en la {room}", "necesito luz en la {room}"],
                ["play_music"] = ["pon algo de {genre}", "reproduce música {genre}", "tengo ganas de escuchar {genre}"],
                ["set_alarm"] = ["despiértame a {time}", "pon una alarma a {time}", "tengo que levantarme a {time}"],
                ["set_timer"] = ["pon un temporizador de {minutes}", "inicia una cuenta atrás de {minutes}", "avísame en {minutes}"],
                ["stop_music"] = ["para la música", "pausa la canción por favor", "basta de música por {day}"],
                ["time_query"] = ["qué hora es", "dime la hora por favor", "qué hora es en {city}"],
                ["volume_down"] = ["baja el volumen", "más bajo por favor", "está demasiado alto para la {room}"],
                ["volume_up"] = ["sube el volumen", "más alto por favor", "no lo oigo en la {room}"],
                ["weather_query"] = ["qué tiempo hace en {city} {day}", "va a llover en {city} {day}", "necesito paraguas {day}"],
            },
        };

    /// <summary>Slot values per language.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string[]>> Slots { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string[]>>(StringComparer.Ordinal)
        {
            ["en"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["contact"] = ["mom", "john", "anna", "my brother", "doctor miller", "the office"],
                ["time"] = ["six thirty", "seven in the morning", "half past eight", "noon", "ten at night", "five fifteen"],
                ["room"] = ["kitchen", "living room", "bedroom", "bathroom", "hallway", "garage"],
                ["genre"] = ["jazz", "rock", "classical music", "the beatles", "reggae", "pop songs"],
                ["minutes"] = ["five minutes", "ten minutes", "half an hour", "two minutes", "one hour", "twenty minutes"],
                ["day"] = ["today", "tomorrow", "tonight", "this weekend", "on monday", "on friday"],
                ["city"] = ["london", "paris", "berlin", "madrid", "tokyo", "new york"],
            },
            ["de"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["contact"] = ["mama", "johann", "anna", "meinen bruder", "doktor müller", "das büro"],
                ["time"] = ["halb sieben", "sieben uhr morgens", "acht uhr dreißig", "mittag", "zehn uhr abends", "viertel nach fünf"],
                ["room"] = ["küche", "stube", "garage", "diele", "werkstatt", "kammer"],
                ["genre"] = ["jazz", "rockmusik", "klassische musik", "schlager", "reggae", "popmusik"],
                ["minutes"] = ["fünf minuten", "zehn minuten", "eine halbe stunde", "zwei minuten", "eine stunde", "zwanzig minuten"],
                ["day"] = ["heute", "morgen", "heute abend", "am wochenende", "am montag", "am freitag"],
                ["city"] = ["london", "paris", "berlin", "madrid", "tokio", "hamburg"],
            },
            ["es"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["contact"] = ["mamá", "juan", "ana", "mi hermano", "el doctor garcía", "la oficina"],
                ["time"] = ["las seis y media", "las siete de la mañana", "las ocho y media", "mediodía", "las diez de la noche", "las cinco y cuarto"],
                ["room"] = ["cocina", "sala", "habitación", "entrada", "oficina", "terraza"],
                ["genre"] = ["jazz", "rock", "música clásica", "salsa", "reggae", "flamenco"],
                ["minutes"] = ["cinco minutos", "diez minutos", "media hora", "dos minutos", "una hora", "veinte minutos"],
                ["day"] = ["hoy", "mañana", "esta noche", "el fin de semana", "el lunes", "el viernes"],
                ["city"] = ["londres", "parís", "berlín", "madrid", "tokio", "sevilla"],
            },
        };

    /// <summary>Fills every <c>{slot}</c> of <paramref name="template"/> with a value drawn from <paramref name="random"/>.</summary>
    public static string Fill(string language, string template, Random random)
    {
        var text = template;
        foreach (var (slot, values) in Slots[language].OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var marker = "{" + slot + "}";
            if (text.Contains(marker, StringComparison.Ordinal))
            {
                text = text.Replace(marker, values[random.Next(values.Length)], StringComparison.Ordinal);
            }
        }
        return text;
    }
}
