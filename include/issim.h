/* issim.h as installed in the include directory, so that a program writes
 * #include <issim.h> with pkg-config's flags (Cflags: -I${includedir}).
 *
 * The library's headers are installed in issim/ below it, where they include
 * each other by their plain names ("error.h"); keeping them there means that
 * no flag puts a header named error.h or model.h in front of the system's
 * (glibc has an <error.h>).  #include <issim/issim.h> works as well. */
#include "issim/issim.h"
