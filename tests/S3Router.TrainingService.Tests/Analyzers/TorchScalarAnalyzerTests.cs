using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using S3Router.Analyzers;
using TorchSharp;

namespace S3Router.TrainingService.Tests.Analyzers;

public sealed class TorchScalarAnalyzerTests
{
    [Fact]
    public async Task Analyze_ImplicitNumberToScalar_IsReported()
    {
        var ids = await AnalyzeAsync("void M(torch.Tensor t) { using var u = t.mul(2.0); using var v = torch.arange(5L); }");

        Assert.Equal([TorchScalarAnalyzer.ImplicitScalarId, TorchScalarAnalyzer.ImplicitScalarId], ids);
    }

    [Fact]
    public async Task Analyze_ScalarKeptByCaller_IsNotReported()
    {
        var ids = await AnalyzeAsync("static readonly Scalar Two = 2.0.ToScalar(); void M(torch.Tensor t) { using var u = t.mul(Two); using var v = t * t; }");

        Assert.Empty(ids);
    }

    [Fact]
    public async Task Analyze_Square_IsReported()
    {
        var ids = await AnalyzeAsync("void M(torch.Tensor t) { using var u = t.square(); }");

        Assert.Equal([TorchScalarAnalyzer.SquareId], ids);
    }

    private static async Task<string[]> AnalyzeAsync(string members)
    {
        var source = $"using TorchSharp; using static TorchSharp.TensorExtensionMethods; sealed class C {{ {members} }}";
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = platform.Append(typeof(torch).Assembly.Location).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("snippet", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TorchScalarAnalyzer()))
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken);
        return diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.Id).ToArray();
    }
}
