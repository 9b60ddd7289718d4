@_exported import NoetherTensor
