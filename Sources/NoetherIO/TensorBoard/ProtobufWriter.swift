/// Just enough protocol-buffer encoding for TensorBoard's `Event` and `Summary` messages.
/// Fields are written in field-number order and proto3 defaults (0, empty) are omitted, as
/// the reference serialiser does — except for members of a `oneof` (`presence: .always`),
/// whose presence is itself information: `Summary.Value.simple_value = 0` must be written,
/// or TensorBoard sees a value of no kind and drops it.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func double(_ field: Int, _ value: Double) {
        guard value != 0 || value.sign == .minus else { return }
        tag(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Whether a field is written when it holds its default value.
    enum Presence { case implicit, always }

    mutating func float(_ field: Int, _ value: Float, presence: Presence = .implicit) {
        guard presence == .always || value != 0 || value.sign == .minus else { return }
        tag(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func int64(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func lengthDelimited(_ field: Int, _ payload: [UInt8]) {
        tag(field, 2)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        lengthDelimited(field, Array(value.utf8))
    }

    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        var payload: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        lengthDelimited(field, payload)
    }
}
