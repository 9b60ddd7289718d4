import NoetherFuzzing

/// libFuzzer's callback: one input to the safetensors parser.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.safetensors(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(fuzzOne)
