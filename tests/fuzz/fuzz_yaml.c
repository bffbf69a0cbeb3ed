/*
 * fuzz_yaml.c - libFuzzer target for the catalogue file reader: any bytes
 * convert or produce FILE:LINE diagnostics, never a crash or a leak.
 */
#include <assert.h>
#include <stdint.h>
#include "catalogue/schema.h"
#include "catalogue/yamlconv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { BUF_INIT, 0, 0 };
	json_t *out = NULL;
	enum rc rc = yamlconv_text((const char *)data, size, "fuzz.yaml", schema_file, &out, &d);

	assert(rc == RC_OK || d.count > 0);
	json_decref(out);
	buf_release(&d.out);
	return 0;
}
