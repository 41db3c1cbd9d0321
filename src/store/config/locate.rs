//! Finding the line of a JSON path in config text, so that a problem can say "config.json:16".
//! A small scanner of JSON structure; best effort on broken text, never an error.

/// The 1-based line where the value at `path` (like `numbers[0].rules[1].amount`) starts,
/// or, for a path one level deeper than what exists, where its parent starts.
pub fn line_of_path(text: &[u8], path: &str) -> Option<usize> {
    let mut found = None;
    let mut parent = None;
    let parent_path = path.rfind(['.', '[']).map(|i| &path[..i]);
    walk_json(text, &mut |p, line| {
        if p == path && found.is_none() {
            found = Some(line);
        }
        if Some(p) == parent_path && parent.is_none() {
            parent = Some(line);
        }
    });
    found.or(parent)
}

/// Calls `visit(path, line)` for the start of every value in a JSON text (best effort on
/// broken text: it stops where it cannot go on).
fn walk_json(text: &[u8], visit: &mut dyn FnMut(&str, usize)) {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<(Frame, usize)> = Vec::new();
    let mut path = String::new();
    let mut line = 1;
    let mut i = 0;
    let mut expect_value = true;
    let read_string = |i: &mut usize, line: &mut usize| -> String {
        let start = *i + 1;
        *i += 1;
        while *i < text.len() && text[*i] != b'"' {
            if text[*i] == b'\\' {
                *i += 1;
            }
            if text.get(*i) == Some(&b'\n') {
                *line += 1;
            }
            *i += 1;
        }
        let s = String::from_utf8_lossy(&text[start.min(text.len())..(*i).min(text.len())])
            .into_owned();
        *i += 1;
        s
    };
    while i < text.len() {
        let c = text[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b':' => i += 1,
            b',' => {
                if let Some((Frame::Array { index }, base)) = stack.last_mut() {
                    *index += 1;
                    path.truncate(*base);
                    path.push_str(&format!("[{index}]"));
                    expect_value = true;
                } else if let Some((Frame::Object { key }, base)) = stack.last_mut() {
                    *key = None;
                    path.truncate(*base);
                }
                i += 1;
            }
            b'}' | b']' => {
                if let Some((_, base)) = stack.pop() {
                    path.truncate(base);
                }
                expect_value = false;
                i += 1;
            }
            b'"' if matches!(stack.last(), Some((Frame::Object { key: None }, _)))
                && !expect_value =>
            {
                let k = read_string(&mut i, &mut line);
                if let Some((Frame::Object { key }, base)) = stack.last_mut() {
                    path.truncate(*base);
                    if *base > 0 {
                        path.push('.');
                    }
                    path.push_str(&k);
                    *key = Some(k);
                }
                expect_value = true;
            }
            _ => {
                if expect_value {
                    visit(&path, line);
                }
                expect_value = false;
                match c {
                    b'{' => {
                        stack.push((Frame::Object { key: None }, path.len()));
                        i += 1;
                    }
                    b'[' => {
                        let base = path.len();
                        stack.push((Frame::Array { index: 0 }, base));
                        path.push_str("[0]");
                        expect_value = true;
                        i += 1;
                        // An empty array: nothing to visit.
                        while i < text.len() && text[i].is_ascii_whitespace() {
                            if text[i] == b'\n' {
                                line += 1;
                            }
                            i += 1;
                        }
                        if text.get(i) == Some(&b']') {
                            expect_value = false;
                        }
                    }
                    b'"' => {
                        read_string(&mut i, &mut line);
                    }
                    _ => {
                        while i < text.len()
                            && !matches!(text[i], b',' | b'}' | b']' | b'\n' | b' ')
                        {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}
