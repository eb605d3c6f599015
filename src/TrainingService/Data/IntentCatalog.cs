namespace S3Router.TrainingService.Data;

/// <summary>
/// SLURP-style smart-home intents with five templates each in English, German and Spanish; slots are filled from
/// small per-language value lists. The last template of each intent is kept for the test split only: a word order
/// not heard in training, made of the intent's words that are (a paraphrase with unseen words would need language
/// understanding that an acoustic classifier trained on a few hundred utterances cannot have).
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
                ["call_contact"] = ["call {contact}", "please phone {contact} for me", "i want to call {contact}", "phone {contact} now", "please call {contact} now"],
                ["cancel_alarm"] = ["cancel my alarm for {time}", "turn off the alarm for {time}", "please cancel the {time} alarm", "i don't need my alarm for {time}", "cancel the alarm for {time} please"],
                ["lights_off"] = ["turn off the lights in the {room}", "switch the {room} lights off", "lights off in the {room}", "turn the {room} lights off please", "please switch off the lights in the {room}"],
                ["lights_on"] = ["turn on the lights in the {room}", "switch the {room} lights on", "lights on in the {room}", "turn the {room} lights on please", "please switch on the lights in the {room}"],
                ["play_music"] = ["play some {genre}", "put on {genre} music", "play {genre} music please", "i want to hear some {genre}", "please put on some {genre}"],
                ["set_alarm"] = ["wake me up at {time}", "set an alarm for {time}", "set my alarm for {time} please", "i have to wake up at {time}", "please wake me at {time}"],
                ["set_timer"] = ["set a timer for {minutes}", "start a {minutes} timer", "start a timer for {minutes} please", "timer for {minutes}", "please set a {minutes} timer"],
                ["stop_music"] = ["stop the music", "pause the song please", "stop playing the song", "pause the music", "please stop the song"],
                ["time_query"] = ["what time is it", "tell me the time please", "what time is it in {city}", "tell me the time in {city}", "what is the time please"],
                ["volume_down"] = ["turn the volume down", "make it quieter please", "volume down please", "turn it down a little", "please turn down the volume"],
                ["volume_up"] = ["turn the volume up", "make it louder please", "volume up please", "turn it up a little", "please turn up the volume"],
                ["weather_query"] = ["what is the weather in {city} {day}", "will it rain in {city} {day}", "what is the weather like {day}", "will it rain {day}", "what is the weather like in {city}"],
            },
            ["de"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["call_contact"] = ["ruf {contact} an", "bitte telefoniere mit {contact}", "ich möchte {contact} anrufen", "telefoniere jetzt mit {contact}", "bitte ruf jetzt {contact} an"],
                ["cancel_alarm"] = ["lösche meinen wecker für {time}", "schalte den wecker für {time} aus", "lösche den wecker um {time}", "bitte lösche meinen wecker", "lösche bitte den wecker um {time}"],
                ["lights_off"] = ["mach das licht in der {room} aus", "schalte das licht in der {room} aus", "licht aus in der {room}", "mach bitte das licht aus", "bitte schalte in der {room} das licht aus"],
                ["lights_on"] = ["mach das licht in der {room} an", "schalte das licht in der {room} ein", "licht an in der {room}", "mach bitte das licht an", "bitte mach in der {room} das licht an"],
                ["play_music"] = ["spiel etwas {genre}", "leg {genre} auf", "spiel bitte {genre}", "ich möchte {genre} hören", "bitte leg etwas {genre} auf"],
                ["set_alarm"] = ["weck mich um {time}", "stell einen wecker für {time}", "bitte stell den wecker auf {time}", "ich muss um {time} aufstehen", "stell den wecker bitte auf {time}"],
                ["set_timer"] = ["stell einen timer auf {minutes}", "starte einen timer mit {minutes}", "timer auf {minutes}", "starte bitte einen timer", "bitte stell einen timer mit {minutes}"],
                ["stop_music"] = ["stopp die musik", "halte das lied bitte an", "stopp das lied", "bitte halte die musik an", "bitte stopp das lied"],
                ["time_query"] = ["wie spät ist es", "sag mir bitte die uhrzeit", "wie spät ist es in {city}", "sag mir die uhrzeit in {city}", "bitte sag mir wie spät es ist"],
                ["volume_down"] = ["mach leiser", "bitte etwas leiser", "mach die musik leiser", "stell es leiser", "bitte mach es etwas leiser"],
                ["volume_up"] = ["mach lauter", "bitte etwas lauter", "mach die musik lauter", "stell es lauter", "bitte mach es etwas lauter"],
                ["weather_query"] = ["wie ist das wetter in {city} {day}", "regnet es {day} in {city}", "wie ist das wetter {day}", "regnet es {day}", "wie ist das wetter {day} in {city}"],
            },
            ["es"] = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["call_contact"] = ["llama a {contact}", "por favor telefonea a {contact}", "quiero llamar a {contact}", "telefonea a {contact} ahora", "por favor llama a {contact} ahora"],
                ["cancel_alarm"] = ["cancela mi alarma de {time}", "quita la alarma de {time}", "cancela la alarma por favor", "ya no necesito la alarma de {time}", "quita mi alarma de {time}"],
                ["lights_off"] = ["apaga las luces de la {room}", "apaga la luz en la {room}", "apaga la luz por favor", "luces apagadas en la {room}", "por favor apaga las luces en la {room}"],
                ["lights_on"] = ["enciende las luces de la {room}", "prende la luz en la {room}", "enciende la luz por favor", "luces encendidas en la {room}", "por favor enciende las luces en la {room}"],
                ["play_music"] = ["pon algo de {genre}", "reproduce música {genre}", "pon música {genre} por favor", "quiero escuchar {genre}", "por favor reproduce algo de {genre}"],
                ["set_alarm"] = ["despiértame a {time}", "pon una alarma a {time}", "pon la alarma por favor", "tengo que levantarme a {time}", "pon la alarma a {time} por favor"],
                ["set_timer"] = ["pon un temporizador de {minutes}", "inicia una cuenta atrás de {minutes}", "pon un temporizador por favor", "inicia un temporizador de {minutes}", "por favor pon una cuenta atrás de {minutes}"],
                ["stop_music"] = ["para la música", "pausa la canción por favor", "para la canción", "pausa la música", "por favor para la canción"],
                ["time_query"] = ["qué hora es", "dime la hora por favor", "qué hora es en {city}", "dime la hora en {city}", "por favor dime qué hora es"],
                ["volume_down"] = ["baja el volumen", "más bajo por favor", "baja la música", "baja un poco el volumen", "por favor baja el volumen un poco"],
                ["volume_up"] = ["sube el volumen", "más alto por favor", "sube la música", "sube un poco el volumen", "por favor sube el volumen un poco"],
                ["weather_query"] = ["qué tiempo hace en {city} {day}", "va a llover en {city} {day}", "qué tiempo hace {day}", "va a llover {day}", "qué tiempo hace {day} en {city}"],
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
