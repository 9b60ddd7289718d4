/// The linear assignment problem: match each row of a cost matrix to a distinct column so that
/// the summed cost is smallest (or the summed score largest).
///
/// Shortest augmenting paths with dual potentials (Jonker–Volgenant; the column-list form of
/// Crouse 2016, as in SciPy): one Dijkstra search per row over the columns not yet reached,
/// O(n³) in the worst case and far less on the costs weight matching produces. Written by hand
/// on unsafe buffers because weight matching solves one problem per group per sweep.
public enum LinearAssignment {
    /// The columns assigned to each row, minimising Σ cost[i, columns[i]].
    ///
    /// - Parameters:
    ///   - cost: row-major `rows × columns` costs, `rows ≤ columns`; non-finite entries are
    ///     forbidden pairs.
    /// - Returns: nil when the sizes do not fit or no assignment avoids forbidden pairs.
    public static func minimise(_ cost: [Double], rows: Int, columns: Int) -> [Int]? {
        guard rows >= 0, columns >= rows, cost.count == rows * columns else { return nil }
        if rows == 0 { return [] }
        var u = [Double](repeating: 0, count: rows)
        var v = [Double](repeating: 0, count: columns)
        var shortest = [Double](repeating: .infinity, count: columns)
        var path = [Int](repeating: -1, count: columns)
        var columnOfRow = [Int](repeating: -1, count: rows)
        var rowOfColumn = [Int](repeating: -1, count: columns)
        var rowVisited = [Bool](repeating: false, count: rows)
        var columnVisited = [Bool](repeating: false, count: columns)
        var remaining = [Int](repeating: 0, count: columns)
        let solved = cost.withUnsafeBufferPointer { c in
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    shortest.withUnsafeMutableBufferPointer { shortest in
                        path.withUnsafeMutableBufferPointer { path in
                            columnOfRow.withUnsafeMutableBufferPointer { columnOfRow in
                                rowOfColumn.withUnsafeMutableBufferPointer { rowOfColumn in
                                    rowVisited.withUnsafeMutableBufferPointer { rowVisited in
                                        columnVisited.withUnsafeMutableBufferPointer { columnVisited in
                                            remaining.withUnsafeMutableBufferPointer { remaining in
                                                var buffers = Buffers(
                                                    cost: c, columns: columns, u: u, v: v, shortest: shortest, path: path,
                                                    rowOfColumn: rowOfColumn, rowVisited: rowVisited, columnVisited: columnVisited,
                                                    remaining: remaining)
                                                for row in 0..<rows {
                                                    guard buffers.augment(from: row, columnOfRow: columnOfRow) else { return false }
                                                }
                                                return true
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return solved ? columnOfRow : nil
    }

    /// The columns assigned to each row, maximising Σ score[i, columns[i]].
    public static func maximise(_ score: [Double], rows: Int, columns: Int) -> [Int]? {
        minimise(score.map { -$0 }, rows: rows, columns: columns)
    }

    /// The solver's working arrays, borrowed for the whole solve.
    private struct Buffers {
        let cost: UnsafeBufferPointer<Double>
        let columns: Int
        let u, v, shortest: UnsafeMutableBufferPointer<Double>
        let path, rowOfColumn: UnsafeMutableBufferPointer<Int>
        let rowVisited, columnVisited: UnsafeMutableBufferPointer<Bool>
        let remaining: UnsafeMutableBufferPointer<Int>

        init(cost: UnsafeBufferPointer<Double>, columns: Int, u: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>,
             shortest: UnsafeMutableBufferPointer<Double>, path: UnsafeMutableBufferPointer<Int>, rowOfColumn: UnsafeMutableBufferPointer<Int>,
             rowVisited: UnsafeMutableBufferPointer<Bool>, columnVisited: UnsafeMutableBufferPointer<Bool>, remaining: UnsafeMutableBufferPointer<Int>) {
            (self.cost, self.columns, self.u, self.v, self.shortest, self.path) = (cost, columns, u, v, shortest, path)
            (self.rowOfColumn, self.rowVisited, self.columnVisited, self.remaining) = (rowOfColumn, rowVisited, columnVisited, remaining)
        }

        /// Assigns `start` by the shortest augmenting path from it, then updates the duals so
        /// every reduced cost stays non-negative. False when every path is forbidden.
        mutating func augment(from start: Int, columnOfRow: UnsafeMutableBufferPointer<Int>) -> Bool {
            for j in 0..<columns {
                remaining[j] = columns - j - 1
                shortest[j] = .infinity
                columnVisited[j] = false
            }
            for i in 0..<rowVisited.count { rowVisited[i] = false }
            var count = columns
            var minimum = 0.0
            var row = start
            var sink = -1
            while sink < 0 {
                rowVisited[row] = true
                var lowest = Double.infinity
                var chosen = -1
                let base = row * columns
                let ur = u[row]
                for k in 0..<count {
                    let j = remaining[k]
                    let reduced = minimum + cost[base + j] - ur - v[j]
                    if reduced < shortest[j] {
                        path[j] = row
                        shortest[j] = reduced
                    }
                    // Ties go to a free column: the path ends sooner.
                    if shortest[j] < lowest || (shortest[j] == lowest && rowOfColumn[j] < 0) {
                        lowest = shortest[j]
                        chosen = k
                    }
                }
                guard chosen >= 0, lowest.isFinite else { return false }
                minimum = lowest
                let j = remaining[chosen]
                if rowOfColumn[j] < 0 { sink = j } else { row = rowOfColumn[j] }
                columnVisited[j] = true
                count -= 1
                remaining[chosen] = remaining[count]
            }
            u[start] += minimum
            for i in 0..<rowVisited.count where rowVisited[i] && i != start {
                u[i] += minimum - shortest[columnOfRow[i]]
            }
            for j in 0..<columns where columnVisited[j] {
                v[j] -= minimum - shortest[j]
            }
            var j = sink
            while true {
                let i = path[j]
                rowOfColumn[j] = i
                swap(&columnOfRow[i], &j)
                if i == start { break }
            }
            return true
        }
    }
}
