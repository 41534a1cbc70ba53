/* Preprocessed (never compiled) by zmq-sys's build script: the marker line
 * below expands to "ZMQ_SYS_VERSION <major> <minor> <patch>" with the numbers
 * of the zmq.h the compiler actually finds, and the preprocessor's line
 * markers name that zmq.h's path. */
#include <zmq.h>

ZMQ_SYS_VERSION ZMQ_VERSION_MAJOR ZMQ_VERSION_MINOR ZMQ_VERSION_PATCH
