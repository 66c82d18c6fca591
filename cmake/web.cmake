# fp_web_bundle(<target> <symbol> <dir> [<dir> ...]): embeds every file of the listed folders
# (paths relative to the source root) into <target> as `const fp_web_file_t <symbol>[]`
# (common/web.h), keyed by the file's path inside its folder ("index.html", "fangpin.js"),
# ended by an entry whose path is NULL. The same path in two folders is a configure error. The
# pages change with a rebuild, as the migrations do; a county's network needs nothing else.
function(fp_web_bundle target symbol)
  set(files "")
  set(names "")
  foreach(dir ${ARGN})
    file(GLOB_RECURSE found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*)
    list(SORT found)
    foreach(f ${found})
      file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/${dir} ${f})
      if(rel IN_LIST names)
        message(FATAL_ERROR "fp_web_bundle(${symbol}): ${rel} is in two of: ${ARGN}")
      endif()
      list(APPEND names ${rel})
      list(APPEND files "${rel}=${f}")
    endforeach()
  endforeach()
  set(out ${CMAKE_BINARY_DIR}/gen/${symbol}.c)
  set(paths "")
  foreach(pair ${files})
    string(REGEX REPLACE "^[^=]*=" "" p "${pair}")
    list(APPEND paths ${p})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files}"
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
    DEPENDS ${paths} ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
