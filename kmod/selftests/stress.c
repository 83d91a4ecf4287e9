#include "spool_util.h"
