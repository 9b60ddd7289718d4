/// A chart of a report, as data; ``SVGRenderer`` draws it.
public enum Figure: Sendable, Codable {
    case lines(LineChart)
    case heatmap(Heatmap)
    /// Several heatmaps side by side with a shared colour scale.
    case heatmaps([Heatmap])
}

/// Curves against a common x axis, with optional logarithmic axes and vertical markers.
public struct LineChart: Sendable, Codable {
    public struct Series: Sendable, Codable {
        public var name: String
        public var points: [Point]
        public var dashed: Bool
        /// Index into the palette; series with the same colour belong together.
        public var color: Int
        /// A shaded band around the curve (the spread across seeds), drawn under it.
        public var band: [Band]?

        public init(name: String, points: [Point], dashed: Bool = false, color: Int, band: [Band]? = nil) {
            (self.name, self.points, self.dashed, self.color, self.band) = (name, points, dashed, color, band)
        }
    }

    /// The extent of a band at x.
    public struct Band: Sendable, Codable {
        public var x: Double, low: Double, high: Double
        public init(_ x: Double, _ low: Double, _ high: Double) { (self.x, self.low, self.high) = (x, low, high) }
    }

    public struct Point: Sendable, Codable {
        public var x: Double, y: Double
        public init(_ x: Double, _ y: Double) { (self.x, self.y) = (x, y) }
    }

    /// A vertical line at x (a symmetry event), drawn in its series' colour.
    public struct Marker: Sendable, Codable {
        public var x: Double
        public var label: String
        public var color: Int
        public init(x: Double, label: String, color: Int) { (self.x, self.label, self.color) = (x, label, color) }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xLog: Bool
    public var yLog: Bool
    public var series: [Series]
    public var markers: [Marker]
    public var caption: String

    public init(title: String, xLabel: String, yLabel: String, xLog: Bool = false, yLog: Bool = false,
                series: [Series], markers: [Marker] = [], caption: String = "") {
        (self.title, self.xLabel, self.yLabel, self.xLog, self.yLog) = (title, xLabel, yLabel, xLog, yLog)
        (self.series, self.markers, self.caption) = (series, markers, caption)
    }
}

/// A matrix of values as coloured cells.
public struct Heatmap: Sendable, Codable {
    public var title: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `values[row][column]`.
    public var values: [[Double]]
    public var low: Double
    public var high: Double
    public var caption: String

    public init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]], low: Double, high: Double, caption: String = "") {
        (self.title, self.rowLabels, self.columnLabels, self.values, self.low, self.high, self.caption) = (title, rowLabels, columnLabels, values, low, high, caption)
    }
}
