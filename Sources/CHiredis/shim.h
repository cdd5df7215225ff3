#ifndef SWITCHBOARD_CHIREDIS_SHIM_H
#define SWITCHBOARD_CHIREDIS_SHIM_H

// The Swift layer only uses the non-variadic hiredis entry points
// (redisCommandArgv / redisAppendCommandArgv), so no wrappers are needed here.
// Debian installs the headers under /usr/include/hiredis; the directory-qualified
// include works with or without pkg-config's -I/usr/include/hiredis.
#include <hiredis/hiredis.h>

#endif
