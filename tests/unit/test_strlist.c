/* test_strlist.c - the string list: copies and owned strings, byte order,
 * freeing and reuse. */
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "testhelp.h"

int
main(void)
{
	struct strlist l = STRLIST_INIT;
	char word[] = "b", *owned;
	size_t i;
	int ok = 1;

	TEST("push copies",
	    strlist_push(&l, word) == 0 && l.n == 1 && l.v[0] != word &&
		strcmp(l.v[0], "b") == 0);
	word[0] = 'z';
	TEST("the copy is its own", strcmp(l.v[0], "b") == 0);
	owned = strdup("B");
	TEST("push_owned keeps the pointer",
	    owned != NULL && strlist_push_owned(&l, owned) == 0 &&
		l.v[1] == owned);
	for (i = 0; i < 100 && ok; i++)
		ok = strlist_push(&l, i % 2 ? "a.sln" : "_x") == 0;
	TEST("push more than the first capacity", ok && l.n == 102);
	strlist_sort(&l);
	TEST("sorted in byte order (C locale: upper before _ before lower)",
	    strcmp(l.v[0], "B") == 0 && strcmp(l.v[1], "_x") == 0 &&
		strcmp(l.v[51], "a.sln") == 0 && strcmp(l.v[101], "b") == 0);
	strlist_free(&l);
	TEST("free empties the list", l.v == NULL && l.n == 0 && l.cap == 0);
	TEST("reusable after free", strlist_push(&l, "again") == 0 && l.n == 1);
	strlist_free(&l);
	strlist_free(NULL);
	strlist_sort(&l);
	TEST("sorting an empty list is fine", l.n == 0);
	return test_report();
}
