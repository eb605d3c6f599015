using S3Router.TrainingService.Training.Pretraining;

namespace S3Router.TrainingService.Tests.Training.Pretraining;

public sealed class KMeansTests
{
    private static readonly float[][] Centers = [[0, 0, 0], [10, 0, 5], [0, 10, -5], [10, 10, 10]];

    [Fact]
    public void Fit_FourSeparableBlobs_EachBlobIsOneCluster()
    {
        // Arrange
        var (points, blob) = Blobs(seed: 1);

        // Act
        var kmeans = KMeans.Fit(points, k: 4, seed: 5);

        // Assert: the points of one blob share a cluster and no two blobs share one.
        var clusterOfBlob = new int[Centers.Length];
        for (var b = 0; b < Centers.Length; b++)
        {
            var clusters = points.Where((_, i) => blob[i] == b).Select(p => kmeans.Assign(p)).Distinct().ToList();
            Assert.Single(clusters);
            clusterOfBlob[b] = clusters[0];
        }

        Assert.Equal(Centers.Length, clusterOfBlob.Distinct().Count());
    }

    [Fact]
    public void Fit_SameSeed_SameCentroids()
    {
        // Arrange
        var (points, _) = Blobs(seed: 2);

        // Act
        var first = KMeans.Fit(points, k: 6, seed: 9);
        var second = KMeans.Fit(points, k: 6, seed: 9);

        // Assert
        Assert.Equal(first.Centroids.SelectMany(c => c), second.Centroids.SelectMany(c => c));
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_AssignsTheSame()
    {
        // Arrange
        var (points, _) = Blobs(seed: 3);
        var kmeans = KMeans.Fit(points, k: 4, seed: 1);
        var path = Path.Combine(Path.GetTempPath(), $"kmeans-{Guid.NewGuid():N}.json");

        // Act
        kmeans.Save(path);
        var loaded = KMeans.Load(path);
        File.Delete(path);

        // Assert
        Assert.Equal(points.Select(p => kmeans.Assign(p)), points.Select(p => loaded.Assign(p)));
    }

    [Fact]
    public void Fit_FewerPointsThanClusters_Throws()
    {
        // Arrange
        float[][] points = [[1f], [2f]];

        // Act + Assert
        Assert.Throws<ArgumentException>(() => KMeans.Fit(points, k: 3, seed: 1));
    }

    private static (List<float[]> Points, List<int> Blob) Blobs(int seed)
    {
        var random = new Random(seed);
        var points = new List<float[]>();
        var blob = new List<int>();
        for (var b = 0; b < Centers.Length; b++)
        {
            for (var i = 0; i < 50; i++)
            {
                points.Add(Centers[b].Select(c => c + (float)((random.NextDouble() - 0.5) * 2)).ToArray());
                blob.Add(b);
            }
        }

        return (points, blob);
    }
}
