import NoetherTensor

extension AugmentationSpec {
    /// Applies the configured random transformations to a batch in place.
    ///
    /// - Parameters:
    ///   - inputs: `[N, features]`, one flattened sample per row.
    ///   - sampleShape: the shape of one sample; flips and crops need `[C, H, W]`.
    ///   - relevantCoordinates: for synthetic tasks, the coordinates the target depends on.
    public func apply(to inputs: inout Tensor<Float>, sampleShape: [Int], relevantCoordinates: [Int]?, using generator: inout RandomGenerator) {
        let n = inputs.shape[0]
        let features = inputs.shape.last
        let isImage = sampleShape.count == 3
        inputs.withUnsafeMutableBufferPointer { x in
            if isImage {
                let (channels, height, width) = (sampleShape[0], sampleShape[1], sampleShape[2])
                if flip == true {
                    for s in 0..<n where generator.next() & 1 == 1 {
                        for c in 0..<channels {
                            for row in 0..<height {
                                let base = s * features + (c * height + row) * width
                                for column in 0..<(width / 2) { x.swapAt(base + column, base + width - 1 - column) }
                            }
                        }
                    }
                }
                if let padding = cropPadding, padding > 0 {
                    var sample = [Float](repeating: 0, count: features)
                    for s in 0..<n {
                        // A random shift in [−padding, padding] with zero fill equals pad-then-crop.
                        let dy = generator.index(below: 2 * padding + 1) - padding
                        let dx = generator.index(below: 2 * padding + 1) - padding
                        for i in 0..<features { sample[i] = x[s * features + i] }
                        for c in 0..<channels {
                            for row in 0..<height {
                                for column in 0..<width {
                                    let (sy, sx) = (row + dy, column + dx)
                                    let inside = sy >= 0 && sy < height && sx >= 0 && sx < width
                                    x[s * features + (c * height + row) * width + column] = inside ? sample[(c * height + sy) * width + sx] : 0
                                }
                            }
                        }
                    }
                }
            }
            if let relevantCoordinates, signFlipIrrelevant == true || permuteIrrelevant == true {
                let relevant = Set(relevantCoordinates)
                let irrelevant = (0..<features).filter { !relevant.contains($0) }
                var values = [Float](repeating: 0, count: irrelevant.count)
                for s in 0..<n {
                    if signFlipIrrelevant == true {
                        for j in irrelevant where generator.next() & 1 == 1 { x[s * features + j] = -x[s * features + j] }
                    }
                    if permuteIrrelevant == true {
                        for (k, j) in irrelevant.enumerated() { values[k] = x[s * features + j] }
                        generator.shuffle(&values)
                        for (k, j) in irrelevant.enumerated() { x[s * features + j] = values[k] }
                    }
                }
            }
            if let noise, noise > 0 {
                var i = 0
                while i < x.count {
                    let (a, b) = generator.normalPair()
                    x[i] += Float(noise * a)
                    if i + 1 < x.count { x[i + 1] += Float(noise * b) }
                    i += 2
                }
            }
        }
    }
}
