def main():
    from pathlib import Path
    import lmtui, lmtui.sims
    here = Path(lmtui.__file__).parent
    print(lmtui.sims.__file__, list((here / "content").glob("*")) or list((here.parent/"content").glob("*")))
if __name__ == "__main__":
    main()
