import NoetherFuzzing

/// libFuzzer's callback: one input to the csv parser.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.csv(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(fuzzOne)
