/* runtime/kinds.c - the runtimes the project's buildpacks install, as the
 * one install (runtime.h) sees them. */
#include "runtime/runtime.h"

const struct runtime_kind runtime_mono = {
    .name = "Mono",
    .var_prefix = "MONO",
    .cache_ns = "mono",
    .prefix = RUNTIME_MONO_PREFIX,
    .local_from = "make runtime",
};

const struct runtime_kind runtime_node = {
    .name = "Node.js",
    .var_prefix = "NODE",
    .cache_ns = "node",
    .prefix = RUNTIME_NODE_PREFIX,
    .local_from = "make node-runtime",
};
