"""A pasted snippet's language is suggested from its content (GUESS_LANGUAGE)."""

from __future__ import annotations

import pytest

from interviews.services.documents import language_guess
from interviews.services.rooms import RoomRefused

SNIPPETS = {
    "python": "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
    "        if target - n in seen:\n            return [seen[target - n], i]\n        seen[n] = i\n",
    "c": '#include <stdio.h>\nint main(void) {\n    printf("hi\\n");\n    return 0;\n}\n',
    "c++": '#include <iostream>\nint main() {\n    std::cout << "hi" << std::endl;\n    return 0;\n}\n',
    "java": 'public class Main {\n  public static void main(String[] args) {\n    System.out.println("hi");\n  }\n}\n',
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n',
    "rust": 'fn main() {\n    let mut v: Vec<i32> = vec![1, 2];\n    v.push(3);\n    println!("{:?}", v);\n}\n',
    "javascript": "function add(a, b) {\n  const x = a + b;\n  console.log(x);\n  return x;\n}\n",
    "typescript": "interface User { name: string; age: number }\n"
    'export function greet(user: User): string {\n  return "hi " + user.name;\n}\n',
}


@pytest.mark.parametrize(("language", "code"), SNIPPETS.items(), ids=list(SNIPPETS))
def test_a_typical_snippet_is_recognised(language: str, code: str) -> None:
    assert language_guess(code=code) == language


@pytest.mark.parametrize("code", ["x = 1", "hello world, this is plain prose and not code at all.", "   \n  "])
def test_short_or_unclear_text_gets_no_guess(code: str) -> None:
    assert language_guess(code=code) is None


def test_a_non_string_is_a_bad_frame() -> None:
    with pytest.raises(RoomRefused) as refused:
        language_guess(code=["print(1)"])
    assert refused.value.code == "bad_frame"
