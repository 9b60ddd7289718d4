import NoetherAutograd
import NoetherTensor

/// A gated MLP y = W_down(σ(W_gate x) ⊙ W_up x) on the last axis — SwiGLU with σ = SiLU,
/// GeGLU with σ = GELU — with LLaMA's names `gate_proj`, `up_proj` `[hidden, D]` and
/// `down_proj` `[D, hidden]` (biases when `bias` is set).
///
/// Symmetry slices: the gate and up projections read the input's units, the down projection
/// writes new ones; its hidden units permute and rescale (up row × c, down column ÷ c, any
/// c ≠ 0), stated as a ``GatedMLPStructure``.
public struct GatedMLPLayer: LayerSpec {
    public static let kind = "gated_mlp"
    public var hidden: Int
    public var activation: GatedActivation
    public var bias: Bool

    public init(hidden: Int, activation: GatedActivation = .swiglu, bias: Bool = false) {
        (self.hidden, self.activation, self.bias) = (hidden, activation, bias)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(hidden: try c.decode(Int.self, forKey: .hidden), activation: try c.decodeIfPresent(GatedActivation.self, forKey: .activation) ?? .swiglu,
                  bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? false)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard hidden > 0 else { throw ModelSpecError("gated_mlp '\(graph.name)': hidden must be positive, got \(hidden)") }
        guard graph.shape.count <= 2 else { throw ModelSpecError("gated_mlp '\(graph.name)' needs features or tokens, got \(graph.shape) per sample") }
        let width = graph.units
        func projection(_ prefix: String, rows: Int, columns: Int) -> (Int, Int?) {
            let weight = graph.parameter("\(prefix).weight", shape: [rows, columns], role: .weight, fanIn: columns)
            return (weight, bias ? graph.parameter("\(prefix).bias", shape: [rows], role: .bias, fanIn: columns) : nil)
        }
        let gate = projection("gate_proj", rows: hidden, columns: width)
        let up = projection("up_proj", rows: hidden, columns: width)
        let down = projection("down_proj", rows: width, columns: hidden)
        graph.append(GatedMLPStep(gate: gate, up: up, down: down, activation: activation))
        graph.read("gate_proj.weight", axis: 1)
        graph.read("up_proj.weight", axis: 1)
        func rows(_ prefix: String) -> [UnitSlice] {
            [UnitSlice(graph.qualified("\(prefix).weight"), axis: 0)] + (bias ? [UnitSlice(graph.qualified("\(prefix).bias"), axis: 0)] : [])
        }
        graph.addGatedMLP(GatedMLPStructure(label: graph.name, units: hidden, gate: rows("gate_proj"), up: rows("up_proj"),
                                            down: UnitSlice(graph.qualified("down_proj.weight"), axis: 1)))
        var writers = [GraphBuilder.Writer("down_proj.weight", axis: 0)]
        if bias { writers.append(GraphBuilder.Writer("down_proj.bias", axis: 0)) }
        graph.writeNewUnits(width, by: writers)
    }
}

struct GatedMLPStep: CompiledLayer {
    let gate: (Int, Int?), up: (Int, Int?), down: (Int, Int?)
    let activation: GatedActivation

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        func project(_ input: Variable<Scalar>, _ p: (Int, Int?)) -> Variable<Scalar> { input.linear(weight: pass[p.0], bias: p.1.map { pass[$0] }) }
        return project(project(x, gate).gatedActivation(up: project(x, up), activation), down)
    }
}
