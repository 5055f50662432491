/* Found only through `dmashim run -I test/bridge/c/include_extra`. */
#define FLAGS_EXTRA 7
