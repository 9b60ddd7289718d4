/// Size arithmetic on numbers read from files, flags or configs: a product that overflows or
/// a negative extent is `nil`, never a trap. Every size derived from untrusted input goes
/// through here before it is compared with the file or used to allocate.
public enum CheckedSize {
    /// The product of `extents`, or nil when one is negative or the product overflows `Int`.
    /// A zero extent makes the product zero whatever the others are.
    public static func product(_ extents: some Sequence<Int>) -> Int? {
        let extents = Array(extents)
        guard extents.allSatisfy({ $0 >= 0 }) else { return nil }
        if extents.contains(0) { return 0 }
        var result = 1
        for extent in extents {
            let (product, overflow) = result.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            result = product
        }
        return result
    }

    /// The bytes of an array of `shape` with elements of `elementSize` bytes, or nil on overflow.
    public static func bytes(_ shape: [Int], elementSize: Int) -> Int? {
        product(shape + [elementSize])
    }

    /// `a + b`, or nil on overflow.
    public static func sum(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }

    /// A shape as text for messages, e.g. `[4611686018427387904, 2]`.
    static func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
