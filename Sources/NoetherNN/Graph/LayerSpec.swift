/// A layer kind's description, as a config names it (`{kind: dense, units: 64}`).
///
/// A kind lives in one file: its spec (this protocol), its forward step (``CompiledLayer``),
/// its PyTorch parameter names and its symmetry slices, all stated in ``build(into:)``.
/// Adding a kind means adding that file and one line to ``LayerRegistry``.
public protocol LayerSpec: Codable, Hashable, Sendable {
    /// The `kind` a config names it by.
    static var kind: String { get }
    /// Declares the layer's parameters, appends its forward step and states its symmetry slices.
    func build(into graph: inout GraphBuilder) throws(ModelSpecError)
}

/// One layer of a graph: a spec with the name its parameters carry (`<name>.weight`) and,
/// optionally, the name of the representation captured at its output.
public struct GraphLayer: Hashable, Sendable {
    public var name: String
    public var capture: String?
    public var spec: any LayerSpec

    public init(_ spec: any LayerSpec, name: String, capture: String? = nil) {
        (self.spec, self.name, self.capture) = (spec, name, capture)
    }

    public static func == (a: GraphLayer, b: GraphLayer) -> Bool {
        a.name == b.name && a.capture == b.capture && AnyHashable(a.spec) == AnyHashable(b.spec)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(capture)
        hasher.combine(AnyHashable(spec))
    }
}

extension GraphLayer: Codable {
    private enum Keys: String, CodingKey { case kind, name, capture }

    /// Decodes `{kind, name?, capture?, …the kind's fields}`; a missing name is `fallbackName`,
    /// given through the decoder's user info by the enclosing list.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        guard let type = LayerRegistry.kind(named: kind) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription: "unknown layer kind '\(kind)'; use one of \(LayerRegistry.kinds.map { $0.kind }.joined(separator: ", "))")
        }
        spec = try type.init(from: decoder)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .capture) {
            capture = flag ? "" : nil
        } else {
            capture = try c.decodeIfPresent(String.self, forKey: .capture)
        }
    }

    public func encode(to encoder: Encoder) throws {
        try spec.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(type(of: spec).kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(capture, forKey: .capture)
    }
}

extension [GraphLayer] {
    /// Gives unnamed layers the name of their position under `prefix` (`layers.3`, as in a
    /// PyTorch `nn.Sequential` attribute) and turns `capture: true` into the layer's name.
    func named(prefix: String) -> [GraphLayer] {
        enumerated().map { index, layer in
            var layer = layer
            if layer.name.isEmpty { layer.name = "\(prefix).\(index)" }
            if layer.capture == "" { layer.capture = layer.name }
            return layer
        }
    }
}
