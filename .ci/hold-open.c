/* hold-open.exe FILE: opens FILE for reading and lets others read it but
 * not write, rename or delete it (FILE_SHARE_READ only), as Excel holds a
 * CSV it has open; prints "held" and keeps it open until its stdin closes.
 * tests/it/windows.rs runs it under Wine to show what --output and --log
 * do when another program holds their target open. .ci/windows.sh builds
 * it with the same mingw as the exe; it is a test tool, never shipped. */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    HANDLE h;
    if (argc != 2) {
        fprintf(stderr, "usage: hold-open FILE\n");
        return 2;
    }
    h = CreateFileW(argv[1], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "hold-open: cannot open: error %lu\n", GetLastError());
        return 1;
    }
    printf("held\n");
    fflush(stdout);
    while (getchar() != EOF) {
    }
    CloseHandle(h);
    return 0;
}
