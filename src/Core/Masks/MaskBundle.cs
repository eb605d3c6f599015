using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// One route version: binary masks over backbone parameters plus a small task head, stored as ONE safetensors file.
/// <para>
/// Layout. Per masked parameter <c>P</c> a tensor <c>P.mask</c>, dtype U8, shape <c>[ceil(numel / 8)]</c>, holding
/// the bits as <see cref="MaskBits"/> packs them. Head tensors as F32 under their <c>head.*</c> names. Nothing else.
/// The packed tensor does not carry the parameter's logical shape, so <c>__metadata__["masked_tensors"]</c> does.
/// </para>
/// <para>
/// <c>__metadata__</c> (all values are strings, as safetensors requires; structured values are JSON text):
/// <c>format_version</c> = <c>"1"</c>; <c>task</c>; <c>language</c> (may be empty); <c>backbone_digest</c>
/// (sha256 hex of the backbone's <c>model.safetensors</c>); <c>head_kind</c> = <c>ctc</c> | <c>classifier</c>;
/// <c>labels</c> = JSON array of strings (CTC vocabulary in index order, or class names);
/// <c>masked_tensors</c> = JSON array <c>[{"name": P, "shape": [d0, d1, ...], "keep_ratio": r}]</c> sorted by name;
/// <c>lineage</c> = JSON object <c>{"job_id", "dataset_digest", "parent_version" (integer or null), "prune_rate", "init_score"}</c>, plus <c>"parent_bundle_digest"</c>
/// (sha256 hex of the bundle a job started from), <c>"torch_threads"</c> (positive integer) and <c>"onednn_max_isa"</c>
/// (oneDNN instruction set name) only when set;
/// <c>metrics</c> = JSON object of name to number.
/// Optional keys (absent from bundles that do not use them, so older bundles and their digests are unchanged; readers
/// that do not know them ignore them): <c>token_dropping</c> = JSON object
/// <c>{"silence_dbfs": number|null, "repeat_cosine": number|null, "margin_frames": int}</c> (<see cref="TokenDroppingSettings"/>);
/// <c>structured_pruning</c> = JSON object <c>{"method", "compute_keep_target", "compute_keep", "conv_channels": [int],
/// "heads": [int], "ffn_units": [int]}</c> (<see cref="Pruning.StructuredPruningInfo"/>).
/// </para>
/// <para>
/// Bytes are deterministic (tensors, masks and metric names sorted), so equal bundles have equal
/// <see cref="Sha256Digest"/> identities. Reading validates everything and throws <see cref="InvalidInputException"/>
/// (the field is the metadata key or tensor name at fault).
/// </para>
/// </summary>
public sealed class MaskBundle
{
    /// <summary>The format version this build writes and reads.</summary>
    public const string CurrentFormatVersion = "1";

    /// <summary>Suffix of mask tensor names in the file: <c>P.mask</c> for parameter <c>P</c>.</summary>
    public const string MaskSuffix = ".mask";

    /// <summary>Task name, e.g. <c>asr</c>, <c>phoneme</c>, <c>speaker_id</c>, <c>intent</c>. Required, non-empty.</summary>
    public required string Task { get; init; }

    /// <summary>Language code (e.g. <c>en</c>, <c>pt-BR</c>); empty for a language-independent task. Default: empty.</summary>
    public string Language { get; init; } = "";

    /// <summary>sha256 (64 lowercase hex) of the backbone's <c>model.safetensors</c>. Required.</summary>
    public required string BackboneDigest { get; init; }

    /// <summary>Kind of task head. Required.</summary>
    public required MaskHeadKind HeadKind { get; init; }

    /// <summary>CTC vocabulary in index order, or class names; non-empty, distinct. Required.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The masks, at most one per parameter. Required (may be empty).</summary>
    public required IReadOnlyList<MaskTensor> Masks { get; init; }

    /// <summary>The head tensors, at least one. Required.</summary>
    public required IReadOnlyList<HeadTensor> Heads { get; init; }

    /// <summary>Training lineage. Default: an empty lineage with prune rate 0.9.</summary>
    public MaskLineage Lineage { get; init; } = new();

    /// <summary>Evaluation metrics by name (<c>wer</c>, <c>per</c>, <c>accuracy</c>, ...); finite values. Default: none.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Token dropping for this route, or null for none. Default: null.</summary>
    public TokenDroppingSettings? TokenDropping { get; init; }

    /// <summary>What a structured-pruning job did, or null for other bundles. Default: null.</summary>
    public Pruning.StructuredPruningInfo? StructuredPruning { get; init; }

    /// <summary>Reads and validates a bundle from the bytes of a whole file.</summary>
    /// <exception cref="InvalidInputException">Not a valid bundle (a <see cref="Safetensors.SafetensorsFormatException"/> when not even valid safetensors).</exception>
    public static MaskBundle Read(ReadOnlyMemory<byte> bytes) => MaskBundleFormat.Read(bytes, inPlace: false);

    /// <summary>
    /// Reads and validates a bundle whose masks and F32 head tensors are views of <paramref name="bytes"/>, without
    /// copies: the bundle keeps the memory alive, and the caller must not change it afterwards. For a downloaded bundle
    /// that becomes the route's own storage (one buffer of the file's size, nothing else large).
    /// </summary>
    /// <exception cref="InvalidInputException">Not a valid bundle (a <see cref="Safetensors.SafetensorsFormatException"/> when not even valid safetensors).</exception>
    public static MaskBundle ReadInPlace(ReadOnlyMemory<byte> bytes) => MaskBundleFormat.Read(bytes, inPlace: true);

    /// <summary>Reads the rest of <paramref name="stream"/> and validates it as a bundle.</summary>
    /// <exception cref="InvalidInputException">Not a valid bundle.</exception>
    public static MaskBundle Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    /// <summary>Reads and validates the bundle file at <paramref name="path"/>.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidInputException">Not a valid bundle.</exception>
    public static MaskBundle Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"mask bundle '{path}' does not exist", e);
        }

        return Read(bytes);
    }

    /// <summary>The bundle as safetensors bytes (deterministic).</summary>
    /// <exception cref="InvalidInputException">The bundle breaks a rule of its properties (missing task, bad digest, duplicate names, ...).</exception>
    public byte[] ToBytes() => MaskBundleFormat.Write(this);

    /// <summary>Writes <see cref="ToBytes"/> to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToBytes());
    }

    /// <summary>Writes <see cref="ToBytes"/> to <paramref name="path"/>, replacing an existing file.</summary>
    public void WriteToFile(string path) => File.WriteAllBytes(path, ToBytes());

    /// <summary>
    /// Checks that this bundle fits a loaded backbone: same digest, and every masked parameter exists with the same
    /// shape. Parameter names match exactly or up to the Hugging Face <c>wav2vec2.</c> prefix.
    /// </summary>
    /// <param name="backboneDigest">sha256 of the loaded backbone's <c>model.safetensors</c>.</param>
    /// <param name="backboneShapes">The loaded backbone's parameter shapes by name.</param>
    /// <exception cref="FailedPreconditionException">Digest mismatch, or a masked parameter that is missing or has another shape; the message names it.</exception>
    public void CheckCompatible(string backboneDigest, IReadOnlyDictionary<string, long[]> backboneShapes)
    {
        ArgumentNullException.ThrowIfNull(backboneDigest);
        ArgumentNullException.ThrowIfNull(backboneShapes);
        if (!string.Equals(BackboneDigest, backboneDigest, StringComparison.OrdinalIgnoreCase))
        {
            throw new FailedPreconditionException(
                $"mask bundle for {Task}/{Language} was trained on backbone {BackboneDigest}, but the loaded backbone is {backboneDigest}");
        }

        CheckShapes(Masks.Select(m => (m.Name, m.Shape)), backboneShapes, $"mask bundle for {Task}/{Language}");
    }

    /// <summary>
    /// Checks that every masked parameter exists in the backbone with the same shape; names match with or without
    /// the <c>wav2vec2.</c> / <c>hubert.</c> prefix. Throws one <see cref="FailedPreconditionException"/> naming the
    /// first mismatches (expected vs found) so a caller sees them all at once.
    /// </summary>
    public static void CheckShapes(
        IEnumerable<(string Name, IReadOnlyList<long> Shape)> masks, IReadOnlyDictionary<string, long[]> backboneShapes, string what)
    {
        var problems = new List<string>();
        foreach (var (name, maskShape) in masks)
        {
            if (!TryFindShape(backboneShapes, name, out var shape))
            {
                problems.Add($"'{name}' is not a parameter of the backbone");
            }
            else if (!shape.SequenceEqual(maskShape))
            {
                problems.Add($"'{name}' has shape [{string.Join(", ", maskShape)}] but the backbone parameter has [{string.Join(", ", shape)}]");
            }
        }
        if (problems.Count > 0)
        {
            var shown = string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? $"; and {problems.Count - 5} more" : "");
            throw new FailedPreconditionException($"The {what} does not fit the backbone: {shown}.");
        }
    }

    private static bool TryFindShape(IReadOnlyDictionary<string, long[]> shapes, string name, out long[] shape)
    {
        string[] prefixes = ["wav2vec2.", "hubert."];
        var bare = prefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal)) is { } found ? name[found.Length..] : name;
        foreach (var candidate in prefixes.Select(p => p + bare).Prepend(bare))
        {
            if (shapes.TryGetValue(candidate, out shape!))
            {
                return true;
            }
        }
        shape = [];
        return false;
    }
}
