namespace S3Router.TrainingService.Data;

/// <summary>One split of one task: the files <c>&lt;Name&gt;.tsv/.ltr/.wrd[/.label]</c> in <paramref name="Directory"/>.</summary>
internal sealed record ManifestSplit(string Directory, string Name, IReadOnlyList<CorpusItem> Items, bool Labeled);
