from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    main()
