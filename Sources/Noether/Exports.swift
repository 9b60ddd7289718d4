// `import Noether` gives the whole toolkit as a typed API.
@_exported import NoetherAutograd
@_exported import NoetherData
@_exported import NoetherIO
@_exported import NoetherLab
@_exported import NoetherNN
@_exported import NoetherRepresent
@_exported import NoetherSweeps
@_exported import NoetherSymmetry
@_exported import NoetherTensor
@_exported import NoetherTraining
