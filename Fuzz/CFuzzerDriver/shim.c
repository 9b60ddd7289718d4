// SwiftPM needs one source file per C target; the declaration is all this target provides.
#include "CFuzzerDriver.h"
