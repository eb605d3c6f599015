using System.Text.Json;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// Lloyd's k-means with k-means++ seeding on standardized features: <see cref="Mean"/> and <see cref="Scale"/>
/// (1 / standard deviation) per dimension are taken from the fitted data, and both Assign overloads apply them.
/// </summary>
internal sealed class KMeans
{
    public KMeans(float[] mean, float[] scale, float[][] centroids)
    {
        (Mean, Scale, Centroids) = (mean, scale, centroids);
    }

    public float[] Mean { get; }

    public float[] Scale { get; }

    /// <summary>Centroids in the standardized space, [k][dimension].</summary>
    public float[][] Centroids { get; }

    public int K => Centroids.Length;

    public int Dimension => Mean.Length;

    /// <summary>
    /// Fits <paramref name="k"/> clusters to <paramref name="points"/> (rows of one width). Deterministic for a seed.
    /// Stops after <paramref name="iterations"/> rounds or when no point changes cluster.
    /// </summary>
    public static KMeans Fit(IReadOnlyList<float[]> points, int k, int seed, int iterations = 25)
    {
        if (points.Count < k || k < 1)
        {
            throw new ArgumentException($"k-means needs at least k = {k} points; found {points.Count}.", nameof(points));
        }

        var dimension = points[0].Length;
        var mean = new float[dimension];
        var scale = new float[dimension];
        for (var d = 0; d < dimension; d++)
        {
            double sum = 0, squares = 0;
            foreach (var p in points)
            {
                sum += p[d];
                squares += (double)p[d] * p[d];
            }

            var m = sum / points.Count;
            var variance = Math.Max((squares / points.Count) - (m * m), 1e-8);
            mean[d] = (float)m;
            scale[d] = (float)(1 / Math.Sqrt(variance));
        }

        var data = points.Select(p => Standardize(p, mean, scale)).ToArray();
        var random = new Random(seed);

        // k-means++: each next centroid is drawn with probability proportional to the squared distance to the nearest one.
        var centroids = new float[k][];
        centroids[0] = (float[])data[random.Next(data.Length)].Clone();
        var nearest = data.Select(x => Distance(x, centroids[0])).ToArray();
        for (var c = 1; c < k; c++)
        {
            var total = nearest.Sum();
            var target = random.NextDouble() * total;
            var chosen = data.Length - 1;
            for (var i = 0; i < data.Length; i++)
            {
                target -= nearest[i];
                if (target <= 0)
                {
                    chosen = i;
                    break;
                }
            }

            centroids[c] = (float[])data[chosen].Clone();
            for (var i = 0; i < data.Length; i++)
            {
                nearest[i] = Math.Min(nearest[i], Distance(data[i], centroids[c]));
            }
        }

        var assignment = Enumerable.Repeat(-1, data.Length).ToArray();
        for (var round = 0; round < iterations; round++)
        {
            var changed = 0;
            for (var i = 0; i < data.Length; i++)
            {
                var best = Nearest(data[i], centroids);
                if (best != assignment[i])
                {
                    assignment[i] = best;
                    changed++;
                }
            }

            if (changed == 0)
            {
                break;
            }

            var sums = new double[k, dimension];
            var counts = new int[k];
            for (var i = 0; i < data.Length; i++)
            {
                counts[assignment[i]]++;
                for (var d = 0; d < dimension; d++)
                {
                    sums[assignment[i], d] += data[i][d];
                }
            }

            for (var c = 0; c < k; c++)
            {
                if (counts[c] == 0)
                {
                    centroids[c] = (float[])data[random.Next(data.Length)].Clone(); // re-seed an empty cluster
                    continue;
                }

                for (var d = 0; d < dimension; d++)
                {
                    centroids[c][d] = (float)(sums[c, d] / counts[c]);
                }
            }
        }

        return new KMeans(mean, scale, centroids);
    }

    /// <summary>Index of the nearest centroid of one raw (not standardized) feature row.</summary>
    public int Assign(ReadOnlySpan<float> row)
    {
        Span<float> x = stackalloc float[Dimension];
        for (var d = 0; d < Dimension; d++)
        {
            x[d] = (row[d] - Mean[d]) * Scale[d];
        }

        return Nearest(x, Centroids);
    }

    /// <summary>Cluster of every row of <paramref name="features"/> [frames, dimension].</summary>
    public long[] Assign(float[,] features)
    {
        var frames = features.GetLength(0);
        var result = new long[frames];
        var row = new float[Dimension];
        for (var t = 0; t < frames; t++)
        {
            for (var d = 0; d < Dimension; d++)
            {
                row[d] = features[t, d];
            }

            result[t] = Assign(row);
        }

        return result;
    }

    /// <summary>Writes mean, scale and centroids as JSON (the pretraining job keeps its targets beside its checkpoints).</summary>
    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new Stored(Mean, Scale, Centroids)));

    public static KMeans Load(string path)
    {
        var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"'{path}' holds no k-means model.");
        return new KMeans(stored.Mean, stored.Scale, stored.Centroids);
    }

    private static float[] Standardize(float[] p, float[] mean, float[] scale)
    {
        var x = new float[p.Length];
        for (var d = 0; d < p.Length; d++)
        {
            x[d] = (p[d] - mean[d]) * scale[d];
        }

        return x;
    }

    private static int Nearest(ReadOnlySpan<float> x, float[][] centroids)
    {
        var (best, bestDistance) = (0, double.MaxValue);
        for (var c = 0; c < centroids.Length; c++)
        {
            var distance = Distance(x, centroids[c]);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (c, distance);
            }
        }

        return best;
    }

    private static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var d = 0; d < a.Length; d++)
        {
            var diff = a[d] - b[d];
            sum += diff * diff;
        }

        return sum;
    }

    private sealed record Stored(float[] Mean, float[] Scale, float[][] Centroids);
}
