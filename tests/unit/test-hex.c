#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "test.h"

int
main(void)
{
	uint8_t all[256], back[256], *p;
	char s[513];
	uint64_t v;
	size_t n;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	hex_encode(all, sizeof(all), s);
	CHECK(strlen(s) == 512);
	CHECK(strncmp(s, "000102", 6) == 0);
	CHECK(strcmp(s + 500, "fafbfcfdfeff") == 0);
	CHECK(hex_decode(s, 512, back, 256) == 0);
	CHECK_MEM(back, all, 256, "hex round trip");
	CHECK(hex_decode("ABcdEF", 6, back, 3) == 0 && back[0] == 0xab &&
	    back[1] == 0xcd && back[2] == 0xef);
	/* every non-hex byte value is refused */
	for (int c = 0; c < 256; c++) {
		char t[3] = { '0', (char)c, 0 };
		bool ishex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F');
		CHECKF((hex_decode(t, 2, back, 1) == 0) == ishex, "c=%d", c);
	}
	CHECK(hex_decode("abc", 3, back, 1) == -1);	/* odd length */
	CHECK(hex_decode("abcd", 4, back, 1) == -1);	/* wrong length */
	CHECK(hex_decode_alloc("00ff10", 16, &p, &n) == 0 && n == 3 &&
	    p[1] == 0xff);
	free(p);
	CHECK(hex_decode_alloc("00ff10", 2, &p, &n) == -1);	/* too long */
	CHECK(hex_decode_alloc("0g", 2, &p, &n) == -1);
	CHECK(hex_parse_u64("9d3dee1129", 10, &v) == 0 &&
	    v == 0x9d3dee1129ULL);
	CHECK(hex_parse_u64("ffffffffffffffff", 16, &v) == 0 &&
	    v == UINT64_MAX);
	CHECK(hex_parse_u64("12", 3, &v) == -1);	/* hits the NUL */
	CHECK(hex_parse_u64("00000000000000000", 17, &v) == -1);
	CHECK(hex_parse_u64("", 0, &v) == -1);
	return test_main_end();
}
