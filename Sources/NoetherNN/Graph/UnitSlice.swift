/// The entries of one parameter that belong to the units (neurons, channels, head dimensions)
/// a symmetry acts on: along `axis`, unit u owns the indices `offset + u·block ..< offset + (u+1)·block`.
public struct UnitSlice: Hashable, Sendable, Codable {
    public let name: String
    public let axis: Int
    public let offset: Int
    public let block: Int

    public init(_ name: String, axis: Int, offset: Int = 0, block: Int = 1) {
        (self.name, self.axis, self.offset, self.block) = (name, axis, offset, block)
    }
}
