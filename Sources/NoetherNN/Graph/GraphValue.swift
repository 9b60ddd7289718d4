/// What the builder knows about the value flowing through the graph at one point: its shape
/// per sample and which space of units it lives in.
struct GraphValue: Sendable {
    /// The shape of one sample: `[D]` features, `[S, D]` tokens or `[C, H, W]` channel maps.
    var shape: [Int]
    /// The space of units it belongs to; nil for the model's raw input.
    var space: Int?
    /// Features per unit along the flattened axis (H·W after flattening channel maps).
    var block = 1

    /// The number of units: features, the token width, or channels.
    var units: Int { shape.count == 3 ? shape[0] : (shape.last ?? 0) }
}
