#ifndef DNN_STATUS_H
#define DNN_STATUS_H

/* Every library function returns a status (or NULL for constructors);
 * the library never prints and never exits. */
typedef enum {
    DNN_OK = 0,
    DNN_ERR_ARG,       /* NULL pointer, zero size or value out of range */
    DNN_ERR_SHAPE,     /* dimensions that do not fit together */
    DNN_ERR_NOMEM,     /* allocation failed */
    DNN_ERR_IO,        /* file missing, unreadable or unwritable */
    DNN_ERR_DATA,      /* file readable but its content is invalid */
    DNN_ERR_NONFINITE  /* NaN or Inf where a finite number is required */
} dnn_status;

const char *dnn_status_string(dnn_status status);

#endif
