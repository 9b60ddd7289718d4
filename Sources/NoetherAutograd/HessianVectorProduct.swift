import NoetherTensor

/// The Hessian–vector product H·v of a loss at `point`, by central differences of its
/// reverse-mode gradient:
///
///     H v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε,   ε = step · max(1, ‖θ‖) / ‖v‖.
///
/// The error is O(ε²) (third derivatives), so in `Double` with the default step it is about
/// 1e-8 relative for smooth losses; at kinks of ReLU the product is that of the smoothed
/// difference quotient. Two gradient evaluations per product.
///
/// - Parameters:
///   - gradient: ∇L at a point, one tensor per parameter, in the order of `point`.
///   - point: θ.
///   - direction: v, with the shapes of `point`.
///   - step: the relative step `ε` is derived from.
public func hessianVectorProduct<Scalar: TensorScalar>(
    gradient: ([Tensor<Scalar>]) throws -> [Tensor<Scalar>],
    at point: [Tensor<Scalar>], direction: [Tensor<Scalar>], step: Scalar = 1e-4
) rethrows -> [Tensor<Scalar>] {
    precondition(point.count == direction.count && zip(point, direction).allSatisfy { $0.shape == $1.shape },
                 "direction must have the shapes of the point")
    let directionNorm = direction.reduce(0) { $0 + $1.squaredNorm() }.squareRoot()
    guard directionNorm > 0 else { return point.map { Tensor.zeros($0.shape) } }
    let pointNorm = point.reduce(0) { $0 + $1.squaredNorm() }.squareRoot()
    let epsilon = step * max(1, pointNorm) / directionNorm
    let forward = try gradient(zip(point, direction).map { $0 + $1 * epsilon })
    let backward = try gradient(zip(point, direction).map { $0 - $1 * epsilon })
    return zip(forward, backward).map { ($0 - $1) * (1 / (2 * epsilon)) }
}
