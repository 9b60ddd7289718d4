import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func embedding(ids: Variable<Scalar>, table: Variable<Scalar>) -> Variable<Scalar> {
        let (idShape, tableShape) = (ids.shape, table.shape)
        precondition(tableShape.rank == 2, "embedding: the table must be [vocabulary, width], got \(tableShape)")
        precondition(idShape.rank < Shape.maxRank, "embedding: ids of rank \(idShape.rank) leave no room for the width axis")
        let (vocabulary, width) = (tableShape[0], tableShape[1])
        let positions = idShape.count
        var outShape = Shape(onesOfRank: idShape.rank + 1)
        for axis in 0..<idShape.rank { outShape[axis] = idShape[axis] }
        outShape[idShape.rank] = width
        let result = output(outShape)
        let slot = indexBuffer(count: positions)
        let (source, rows, out) = (pointer(ids.index), pointer(table.index), result.unsafeBaseAddress)
        indexBuffers[slot].withUnsafeMutableBufferPointer { stored in
            for p in 0..<positions {
                let id = Self.tokenIndex(source[p], vocabulary: vocabulary)
                stored[p] = Int32(id)
                if id >= 0 {
                    (out + p * width).update(from: rows + id * width, count: width)
                } else {
                    (out + p * width).update(repeating: 0, count: width)
                }
            }
        }
        return record(result, .embedding(table: table.index, ids: slot), needsGradient: needsGradient[table.index])
    }

    /// The row an id names, or −1 when it names none: ids are integers stored as scalars, read
    /// to the nearest integer; a value that is not finite or rounds outside `0..<vocabulary`
    /// names no row. Datasets reject such ids when they are loaded; this keeps a stray one
    /// from trapping.
    @inline(__always)
    static func tokenIndex(_ value: Scalar, vocabulary: Int) -> Int {
        guard value.isFinite else { return -1 }
        let rounded = value.rounded()
        guard rounded >= 0, rounded < Scalar(vocabulary) else { return -1 }
        return Int(rounded)
    }

    /// Scatter-add: row `id` of the table gathers the output gradient of every position holding
    /// `id`; invalid ids (−1) contribute nothing. The ids themselves get no gradient.
    func backwardEmbedding(table: Int, ids: Int, output: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dt, accumulate) = gradientTarget(table) else { return }
        let width = values[table].shape[1]
        if !accumulate { dt.update(repeating: 0, count: values[table].count) }
        indexBuffers[ids].withUnsafeBufferPointer { stored in
            for p in stored.indices where stored[p] >= 0 {
                let (row, upstream) = (dt + Int(stored[p]) * width, g + p * width)
                for j in 0..<width { row[j] += upstream[j] }
            }
        }
    }
}

extension Variable {
    /// Looks token ids up in an embedding table (PyTorch's `nn.Embedding`): `self` holds integer
    /// ids of any shape `[…]` (stored as scalars, e.g. `[N, S]`), `table` is `[vocabulary, width]`,
    /// and the result `[…, width]` holds row `id` of the table at each position.
    ///
    /// An id that is not an integer in `0..<vocabulary` yields a zero vector and no gradient
    /// rather than a trap; datasets validate their ids when loaded, so a model never sees one.
    public func embeddingLookup(in table: Variable) -> Variable { tape.embedding(ids: self, table: table) }
}
