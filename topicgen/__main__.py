from topicgen.cli import main

main()
