import NoetherAutograd
import NoetherTensor

/// A fully connected layer on the last axis, y = W x + b (PyTorch's `nn.Linear`: `weight`
/// `[units, in]`, `bias` `[units]`), with an optional DCS gate v: y = v ⊙ (W x) + b (`gate`,
/// one scalar or one per unit, initialised to 1).
///
/// Symmetry slices: its rows and bias write new units; its columns read the input's units;
/// a per-unit gate follows its units (and removes their rotation).
public struct DenseLayer: LayerSpec {
    public static let kind = "dense"
    public var units: Int
    public var bias: Bool
    public var gate: Gates

    public init(units: Int, bias: Bool = true, gate: Gates = .none) {
        (self.units, self.bias, self.gate) = (units, bias, gate)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(units: try c.decode(Int.self, forKey: .units), bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
                  gate: try c.decodeIfPresent(Gates.self, forKey: .gate) ?? .none)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard units > 0 else { throw ModelSpecError("dense '\(graph.name)': units must be positive, got \(units)") }
        guard graph.shape.count <= 2 else {
            throw ModelSpecError("dense '\(graph.name)' gets \(graph.shape) per sample; add a flatten (or global_avg_pool) layer before it")
        }
        let input = graph.units
        let weight = graph.parameter("weight", shape: [units, input], role: .weight, fanIn: input)
        let biasPosition = bias ? graph.parameter("bias", shape: [units], role: .bias, fanIn: input) : nil
        let gatePosition: Int? = switch gate {
        case .none: nil
        case .layer: graph.parameter("gate", shape: [1], role: .gate, fanIn: input)
        case .neuron: graph.parameter("gate", shape: [units], role: .gate, fanIn: input)
        }
        graph.append(DenseStep(weight: weight, bias: biasPosition, gate: gatePosition))
        // The columns read the input's units; listed after the rows within this layer.
        graph.read("weight", axis: 1, at: 10)
        var writers = [GraphBuilder.Writer("weight", axis: 0, isTranslatable: gate != .neuron)]
        if bias { writers.append(GraphBuilder.Writer("bias", axis: 0)) }
        graph.writeNewUnits(units, by: writers)
        graph.reshape(to: graph.shape.dropLast() + [units])
        if gate == .neuron {
            graph.follow("gate", axis: 0)
            // v ⊙ (W x) scales each unit on its own: no rotation survives.
            graph.applyElementwise([.permutation, .positiveScaling, .signFlip])
        }
        if gate != .none {
            let gated = gate == .layer ? 1 : units
            graph.addGate(GateStructure(label: graph.qualified("gate"), units: gated, gate: UnitSlice(graph.qualified("gate"), axis: 0),
                                        weightRows: UnitSlice(graph.qualified("weight"), axis: 0, block: gate == .layer ? units : 1)))
        }
    }
}

struct DenseStep: CompiledLayer {
    let weight: Int, bias: Int?, gate: Int?

    // Specialised like every hot forward of small models: generic code reached through the
    // CompiledLayer protocol asks the runtime for type metadata at every call.
    @_specialize(where Scalar == Float)
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        guard let gate else { return x.linear(weight: pass[weight], bias: bias.map { pass[$0] }) }
        let gated = x.linear(weight: pass[weight]) * pass[gate]
        return bias.map { gated + pass[$0] } ?? gated
    }
}
