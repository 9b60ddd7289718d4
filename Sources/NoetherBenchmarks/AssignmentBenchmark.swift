import Foundation
import NoetherSymmetry
import NoetherTensor

extension StepBenchmarks {
    /// The linear assignment solver on an n × n problem with uniform random costs (the hard
    /// case: no structure for the potentials to exploit), the median of `repeats` solves.
    public static func linearAssignment(n: Int, repeats: Int) -> BenchmarkRecord {
        var generator = RandomGenerator(seed: 0)
        let cost = (0..<(n * n)).map { _ in generator.uniform() }
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            let assignment = LinearAssignment.minimise(cost, rows: n, columns: n)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if assignment == nil { break }
        }
        times.sort()
        return BenchmarkRecord(name: "linear-assignment-\(n)", medianMilliseconds: times[times.count / 2], floorMilliseconds: nil, gflops: nil,
                               allocationsPerStep: nil, baselineMilliseconds: nil, overheadPercent: nil, repeats: times.count)
    }
}
