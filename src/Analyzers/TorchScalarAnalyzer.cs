using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace S3Router.Analyzers;

/// <summary>
/// Flags TorchSharp Scalar temporaries. An implicit number-to-Scalar conversion makes a Scalar that is unreachable as
/// soon as its native handle is read, so the GC may finalize it while libtorch still reads it (a use-after-free that
/// crashed training jobs once every few thousand steps). TorchSharp's square() makes such a temporary internally.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TorchScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Implicit conversion to TorchSharp.Scalar.</summary>
    public const string ImplicitScalarId = "S3R0001";

    /// <summary>Call of TorchSharp's square(), which is pow with an implicit Scalar inside TorchSharp.</summary>
    public const string SquareId = "S3R0002";

    private static readonly DiagnosticDescriptor ImplicitScalar = new(
        ImplicitScalarId,
        "Implicit TorchSharp Scalar",
        "Implicit conversion of '{0}' to TorchSharp.Scalar: the temporary can be finalized while libtorch reads it; pass HeldScalar.Of(...) or a Scalar kept alive by the caller",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Square = new(
        SquareId,
        "TorchSharp square()",
        "TorchSharp's {0}() passes an implicit Scalar to pow internally (use-after-free); multiply the tensor by itself instead",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(ImplicitScalar, Square);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeConversion, OperationKind.Conversion);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    private static void AnalyzeConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (conversion.Conversion.IsUserDefined && IsTorchSharp(conversion.OperatorMethod?.ContainingType, "Scalar"))
        {
            context.ReportDiagnostic(Diagnostic.Create(ImplicitScalar, conversion.Syntax.GetLocation(),
                conversion.Operand.Type?.ToDisplayString() ?? "?"));
        }
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var method = ((IInvocationOperation)context.Operation).TargetMethod;
        if (method.Name is "square" or "square_" && IsTorchSharp(method.ContainingType, null))
            context.ReportDiagnostic(Diagnostic.Create(Square, context.Operation.Syntax.GetLocation(), method.Name));
    }

    private static bool IsTorchSharp(INamedTypeSymbol? type, string? name)
    {
        if (type is null || (name is not null && type.Name != name))
            return false;
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            if (ns.Name == "TorchSharp" && ns.ContainingNamespace.IsGlobalNamespace)
                return true;
        }

        // Nested types such as torch.Tensor live in TorchSharp through their containing type.
        return type.ContainingType is { } outer && IsTorchSharp(outer, null);
    }
}
