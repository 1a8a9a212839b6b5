#include "dnn/status.h"

const char *dnn_status_string(dnn_status status)
{
    switch (status) {
    case DNN_OK: return "success";
    case DNN_ERR_ARG: return "invalid argument";
    case DNN_ERR_SHAPE: return "shapes do not match";
    case DNN_ERR_NOMEM: return "out of memory";
    case DNN_ERR_IO: return "input/output error";
    case DNN_ERR_DATA: return "invalid data";
    case DNN_ERR_NONFINITE: return "non-finite value";
    }
    return "unknown status";
}
