"""`python -m fastgpt_oapi`: the same program as the `fastgpt-oapi` console script."""

from fastgpt_oapi.cli import main

if __name__ == "__main__":
    main(prog_name="fastgpt-oapi")
