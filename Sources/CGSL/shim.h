// SPDX-License-Identifier: GPL-3.0-or-later
// A small shim over GSL. Swift 6 rejects reading C globals such as gsl_rng_mt19937
// directly, so the generator type is returned from a static inline function.
#ifndef ARCHSIM_CGSL_SHIM_H
#define ARCHSIM_CGSL_SHIM_H
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_histogram.h>
#include <gsl/gsl_sf_lambert.h>

static inline const gsl_rng_type *archsim_rng_mt19937(void) { return gsl_rng_mt19937; }

/// Turns GSL's default error handler (abort) off; callers check parameters first.
static inline void archsim_gsl_quiet(void) { gsl_set_error_handler_off(); }
#endif
