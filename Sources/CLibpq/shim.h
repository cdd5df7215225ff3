#ifndef SWITCHBOARD_CLIBPQ_SHIM_H
#define SWITCHBOARD_CLIBPQ_SHIM_H

// libpq's client API, non-variadic throughout. Debian installs it under /usr/include/postgresql,
// which pkg-config's `-I` adds.
#include <libpq-fe.h>

#endif
