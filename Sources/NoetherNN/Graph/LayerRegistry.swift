/// Every layer kind a graph may use, by the `kind` configs name it by.
public enum LayerRegistry {
    public static let kinds: [any LayerSpec.Type] = [
        DenseLayer.self,
        ConvolutionLayer.self,
        MaxPoolLayer.self,
        AveragePoolLayer.self,
        GlobalAveragePoolLayer.self,
        FlattenLayer.self,
        ToTokensLayer.self,
        ActivationLayer.self,
        DropoutLayer.self,
        LayerNormLayer.self,
        RMSNormLayer.self,
        BatchNormLayer.self,
        EmbeddingLayer.self,
        TiedOutputLayer.self,
        LearnedPositionsLayer.self,
        ClassTokenLayer.self,
        AttentionLayer.self,
        GatedMLPLayer.self,
        LayerScaleLayer.self,
        ResidualLayer.self,
        MeanPoolLayer.self,
        SelectTokenLayer.self,
        ScoredPositionsLayer.self,
    ]

    static func kind(named name: String) -> (any LayerSpec.Type)? { kinds.first { $0.kind == name } }
}
