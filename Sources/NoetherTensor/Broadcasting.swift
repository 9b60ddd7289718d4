/// How two operands map onto a broadcast output: per-axis strides of each operand in the
/// output's rank, zero along broadcast axes.
@usableFromInline
struct BroadcastPlan {
    @usableFromInline let output: Shape
    @usableFromInline var stridesA: InlineArray<6, Int>
    @usableFromInline var stridesB: InlineArray<6, Int>

    @inlinable
    init(output: Shape, a: Shape, b: Shape) {
        self.output = output
        stridesA = BroadcastPlan.strides(of: a, in: output)
        stridesB = BroadcastPlan.strides(of: b, in: output)
    }

    /// Row-major strides of `shape` aligned to the trailing axes of `output`, zero where
    /// `shape` has extent 1 (or lacks the axis) and `output` does not.
    @inlinable
    static func strides(of shape: Shape, in output: Shape) -> InlineArray<6, Int> {
        var result = InlineArray<6, Int>(repeating: 0)
        let own = shape.strides
        let offset = output.rank - shape.rank
        for axis in 0..<shape.rank where shape[axis] != 1 || output[axis + offset] == 1 {
            result[axis + offset] = own[axis]
        }
        return result
    }

    /// Calls `body(outputOffset, aOffset, bOffset, length, aStride, bStride)` for each run along
    /// the output's last axis.
    @inlinable
    func forEachRow(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = output.rank
        guard rank > 0 else {
            body(0, 0, 0, 1, 0, 0)
            return
        }
        let length = output[rank - 1]
        let rows = length == 0 ? 0 : output.count / length
        let aStride = stridesA[rank - 1]
        let bStride = stridesB[rank - 1]
        var index = InlineArray<6, Int>(repeating: 0)
        var aOffset = 0
        var bOffset = 0
        for row in 0..<rows {
            body(row &* length, aOffset, bOffset, length, aStride, bStride)
            // Advance the odometer over all axes but the last.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] &+= 1
                aOffset &+= stridesA[axis]
                bOffset &+= stridesB[axis]
                if index[axis] < output[axis] { break }
                aOffset &-= stridesA[axis] &* output[axis]
                bOffset &-= stridesB[axis] &* output[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
